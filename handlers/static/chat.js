// policybot browser chat: posts to /chat/api, appends the server-rendered replies.
// Nothing from the server or the user is inserted as HTML except the server's
// replies fragment, which the server renders with every value escaped, and this tab's own
// copy of that same log (sessionStorage), put back after a reload.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var box = document.getElementById("text");
  var send = document.getElementById("send");
  var picker = document.getElementById("date-pick");
  var busy = false;
  var keyUnsaved = false;
  var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  var storeKey = "policybot.transcript." + log.getAttribute("data-transcript");
  var PLACEHOLDERS = {
    text: touch ? "Describe the post and what it says" :
      "Describe the post and what it says (Shift+Enter for a new line)",
    url: "instagram.com/p/... (or type skip)",
    date: "2026-03-05, last tuesday, yesterday... (or skip)",
    contact: "Your name, your.name@lausd.net",
    choice: "Pick a button above, or type your answer",
    confirm: "Type submit, or pick a button above"
  };
  var currentStep = null;

  function scrollDown() { log.scrollTop = log.scrollHeight; window.scrollTo(0, document.body.scrollHeight); }

  function save() {
    try { sessionStorage.setItem(storeKey, log.innerHTML); } catch (e) { /* private mode: no copy */ }
  }

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

  // The welcome's buttons start new things: not while a report is open.
  function welcomeButtons(enabled) {
    var buttons = log.querySelectorAll(".msg.kind-intro .cmd");
    for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = !enabled; }
  }

  function followStep(step) {
    currentStep = step || null;
    if (step) {
      box.placeholder = PLACEHOLDERS[step.kind] || "Type your answer";
      box.maxLength = step.max_length || 6000;
      box.rows = step.kind === "text" ? 4 : 1;
    } else {
      box.placeholder = "Ask a question, or type report";
      box.maxLength = 6000;
      box.rows = 1;
    }
    welcomeButtons(!step);
    picker.hidden = !(step && step.kind === "date");
    if (!picker.hidden) {
      var now = new Date();
      now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
      picker.max = now.toISOString().slice(0, 10);
      picker.value = "";
    }
  }

  // The date step: a picked date goes into the text box, ready to send.
  picker.addEventListener("change", function () {
    if (picker.value) { box.value = picker.value; box.focus(); }
  });

  function retireFlowButtons() {
    var old = log.querySelectorAll(".msg.kind-flow .cmd, .msg.kind-report .cmd");
    for (var i = 0; i < old.length; i++) { old[i].disabled = true; }
  }

  // A new case key: the composer waits until the person says the key is saved.
  function holdForKey() {
    var boxes = log.querySelectorAll(".key-box:not(.saved)");
    keyUnsaved = boxes.length > 0;
    box.disabled = keyUnsaved;
    send.disabled = keyUnsaved || busy;
    if (keyUnsaved) {
      box.placeholder = boxes[0].getAttribute("data-save-first") ||
        "Save your case key first (Copy key, then I have saved my key)";
    }
  }

  function post(text, isButton, shown) {
    if (busy || keyUnsaved || !text.trim()) { return; }
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
      if (!result.ok) { addError(result.data.error || log.getAttribute("data-error")); return; }
      retireFlowButtons();
      var holder = document.createElement("div");
      holder.className = "turn";
      holder.innerHTML = result.data.html;  // escaped server-side (Jinja autoescape)
      // The page speaks the language of the latest reply (screen readers, translation tools).
      if (result.data.lang) { document.documentElement.lang = result.data.lang; }
      log.appendChild(holder);
      followStep(result.data.step);
      scrollDown();
    }).catch(function () {
      addError(log.getAttribute("data-unreachable"));
    }).then(function () {
      busy = false;
      send.disabled = false;
      holdForKey();
      save();
      if (!keyUnsaved) { box.focus(); }
    });
  }

  function copyKey(keyBox) {
    var key = keyBox.getAttribute("data-case-key");
    var status = keyBox.querySelector(".copy-status");
    function done(ok) {
      status.textContent = keyBox.getAttribute(ok ? "data-copied" : "data-copy-failed");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(key).then(function () { done(true); }, function () { done(false); });
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(keyBox.querySelector(".case-key"));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    done(ok);
  }

  // Once saved, the key leaves this tab's copy of the conversation too: it is shown once.
  function keySaved(keyBox) {
    var key = keyBox.getAttribute("data-case-key");
    var hidden = "(case key saved; it is not shown again)";
    var texts = log.querySelectorAll(".kind-receipt code");
    for (var i = 0; i < texts.length; i++) {
      if (texts[i].textContent === key) { texts[i].textContent = hidden; }
    }
    keyBox.parentNode.removeChild(keyBox);
    holdForKey();
    followStep(currentStep);
    save();
    box.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    box.value = "";
    post(text, false);
  });

  // Enter sends; Shift+Enter is a new line. On a touch screen, Enter in the description is a
  // new line too (there is no Shift there): the Send button sends.
  box.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) { return; }
    if (touch && currentStep && currentStep.kind === "text") { return; }
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
  });

  log.addEventListener("click", function (event) {
    var copy = event.target.closest("button.copy-key");
    if (copy) { copyKey(copy.closest(".key-box")); return; }
    var saved = event.target.closest("button.key-saved");
    if (saved) { keySaved(saved.closest(".key-box")); return; }
    var button = event.target.closest("button.cmd");
    if (!button || button.disabled) { return; }
    post(button.getAttribute("data-value"), true, button.textContent);
  });

  window.addEventListener("beforeunload", function (event) {
    if (keyUnsaved) { event.preventDefault(); event.returnValue = ""; }
  });

  // Put back what this tab showed before a reload; then add what the server says is new
  // (a notice not shown yet, the open report's step if the copy ends elsewhere).
  function restore() {
    var saved = null;
    try { saved = sessionStorage.getItem(storeKey); } catch (e) { saved = null; }
    var fresh = Array.prototype.slice.call(log.children);
    var stepNow = log.getAttribute("data-current-step");
    if (!saved) { return; }
    log.innerHTML = saved;
    if (!stepNow) { retireFlowButtons(); }  // finished or cancelled meanwhile
    var flows = log.querySelectorAll("[data-step]");
    var lastStep = flows.length ? flows[flows.length - 1] : null;
    var lastIsOpen = lastStep && !lastStep.querySelector(".cmd:disabled") &&
      lastStep.getAttribute("data-step") === stepNow;
    fresh.forEach(function (node) {
      var notice = node.getAttribute("data-notice");
      if (notice && !log.querySelector('[data-notice="' + CSS.escape(notice) + '"]')) {
        log.appendChild(node);
      } else if (node.getAttribute("data-step") && !lastIsOpen) {
        retireFlowButtons();
        log.appendChild(node);
      }
    });
  }

  restore();
  var open = log.getAttribute("data-current-step");
  var flowsNow = log.querySelectorAll("[data-step]");
  var stepNode = flowsNow.length ? flowsNow[flowsNow.length - 1] : null;
  followStep(open && stepNode ? {id: open, kind: stepNode.getAttribute("data-step-kind"),
                                  max_length: +stepNode.getAttribute("data-step-max") || null}
                              : null);
  holdForKey();
  save();
  if (!keyUnsaved) { box.focus(); }
  scrollDown();
})();
