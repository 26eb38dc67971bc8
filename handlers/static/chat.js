// policybot browser chat: posts to /chat/api, appends the server-rendered replies.
// Nothing from the server or the user is inserted as HTML except the server's
// replies fragment, which the server renders with every value escaped.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var box = document.getElementById("text");
  var send = document.getElementById("send");
  var busy = false;
  var PLACEHOLDERS = {
    text: "Describe the post and what it says",
    url: "https://... (or type skip)",
    date: "2026-03-05, today or yesterday (or skip)",
    choice: "Pick a button above, or type your answer",
    confirm: "Type submit, or pick a button above"
  };

  function scrollDown() { log.scrollTop = log.scrollHeight; window.scrollTo(0, document.body.scrollHeight); }

  function addUser(text) {
    var div = document.createElement("div");
    div.className = "msg user";
    var p = document.createElement("div");
    p.className = "text";
    p.textContent = text;
    div.appendChild(p);
    log.appendChild(div);
    scrollDown();
  }

  function addError(text) {
    var div = document.createElement("div");
    div.className = "msg bot kind-error";
    div.textContent = text;
    log.appendChild(div);
    scrollDown();
  }

  function followStep(step) {
    if (step) {
      box.placeholder = PLACEHOLDERS[step.kind] || "Type your answer";
      box.maxLength = step.max_length || 6000;
      box.rows = step.kind === "text" ? 4 : 1;
    } else {
      box.placeholder = "Ask a question, or type report";
      box.maxLength = 6000;
      box.rows = 1;
    }
  }

  function retireFlowButtons() {
    var old = log.querySelectorAll(".msg.kind-flow .cmd, .msg.kind-report .cmd");
    for (var i = 0; i < old.length; i++) { old[i].disabled = true; }
  }

  function post(text, isButton, shown) {
    if (busy || !text.trim()) { return; }
    busy = true;
    send.disabled = true;
    addUser(shown || text);
    fetch("/chat/api", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({text: text, is_button: !!isButton})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (!result.ok) { addError(result.data.error || "Something went wrong."); return; }
      retireFlowButtons();
      var holder = document.createElement("div");
      holder.className = "turn";
      holder.innerHTML = result.data.html;  // escaped server-side (Jinja autoescape)
      log.appendChild(holder);
      followStep(result.data.step);
      scrollDown();
    }).catch(function () {
      addError("policybot could not be reached. Check the connection and try again.");
    }).then(function () {
      busy = false;
      send.disabled = false;
      box.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    box.value = "";
    post(text, false);
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  log.addEventListener("click", function (event) {
    var button = event.target.closest("button.cmd");
    if (!button || button.disabled) { return; }
    post(button.getAttribute("data-value"), true, button.textContent);
  });

  var steps = log.querySelectorAll("[data-step]");
  if (steps.length) { box.placeholder = "Pick a button above, or type your answer"; }
  box.focus();
  scrollDown();
})();
