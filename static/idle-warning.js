// Warns before the idle timeout signs the learner out of a quiz (WCAG 2.2.1), and offers to stay
// signed in. If the time runs out anyway, the answers are kept by the server when the form is sent.
(function () {
  "use strict";
  var form = document.querySelector("form[data-idle-seconds]");
  var box = document.getElementById("idle-warning");
  if (!form || !box) { return; }
  var idle = parseInt(form.getAttribute("data-idle-seconds"), 10);
  if (!(idle > 0)) { return; }
  var warnBefore = Math.min(120, Math.floor(idle / 4));
  var warnTimer = null;
  var endTimer = null;

  function minutes(seconds) {
    var m = Math.max(1, Math.round(seconds / 60));
    return m === 1 ? "1 minute" : m + " minutes";
  }

  function show(text, withButton) {
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    if (withButton) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = "Stay signed in";
      button.addEventListener("click", stay);
      box.appendChild(button);
    }
    box.hidden = false;
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(function () {
      show("You will be signed out in " + minutes(warnBefore) + " because nothing has been sent for a while. " +
        "Your answers will be kept either way.", true);
    }, (idle - warnBefore) * 1000);
    endTimer = window.setTimeout(function () {
      show("You have been signed out because nothing was sent for a while. Your answers are safe: " +
        "choose “Submit answers”, sign in again, and they will be back on the quiz.", false);
    }, idle * 1000);
  }

  function stay() {
    var token = form.querySelector("input[name=csrf_token]");
    fetch(form.getAttribute("data-keep-alive"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if (response.ok) {
        box.hidden = true;
        box.textContent = "";
        schedule();
      } else {
        show("You have already been signed out. Your answers are safe: choose “Submit answers” and sign in again.", false);
      }
    }).catch(function () {
      show("The site could not be reached. Your answers are still on this page; try again in a moment.", true);
    });
  }

  schedule();
}());
