// The admin console's one script. A form marked data-in-place="#a #b" (the case's
// "Reveal details") is sent with fetch and the listed parts of the page are replaced by
// the same parts of the answer, so the details show on the same page, the address stays
// the case's GET address, and a reload shows the case masked again (never a re-post).
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.inPlace) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin", headers: { "Accept": "text/html" },
    });
    if (response.redirected) {  // signed out meanwhile: go where the console sends us
      window.location.assign(response.url);
      return;
    }
    const html = await response.text();
    const answer = new DOMParser().parseFromString(html, "text/html");
    if (!response.ok) {
      const main = answer.querySelector("main");
      document.querySelector("main").replaceWith(main || document.createTextNode(html));
      return;
    }
    for (const selector of form.dataset.inPlace.split(" ")) {
      const fresh = answer.querySelector(selector);
      const old = document.querySelector(selector);
      if (fresh && old) old.replaceWith(document.importNode(fresh, true));
    }
  } catch (error) {
    if (button) button.disabled = false;
    alert("Could not reveal the details: " + error);
  }
});
