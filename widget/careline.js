// Careline contact widget: progressive enhancement of a plain <form
// data-careline action=".../inquiries" method="post">. Without JavaScript the
// form posts normally (thank-you page or redirect); with it, the answer shows
// in place: field errors beside their fields, the reference and due time.
(function () {
  "use strict";

  function text(el, value) { el.textContent = value; return el; }

  function errorSlot(form, field) {
    var input = form.querySelector('[name="' + field + '"]');
    var id = "careline-error-" + field.replace(/[^a-z0-9_-]/gi, "-");
    var slot = form.querySelector("#" + id);
    if (!slot) {
      slot = document.createElement("span");
      slot.id = id;
      slot.className = "careline-error";
      slot.setAttribute("role", "alert");
      if (input) {
        input.insertAdjacentElement("afterend", slot);
        input.setAttribute("aria-describedby", id);
      } else {
        form.appendChild(slot);
      }
    }
    return { slot: slot, input: input };
  }

  function clearErrors(form) {
    form.querySelectorAll(".careline-error").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function fields(form) {
    var body = {};
    new FormData(form).forEach(function (value, key) {
      var nested = /^callback\[(phone|window)\]$/.exec(key);
      if (nested) { body.callback = body.callback || {}; body.callback[nested[1]] = value; }
      else body[key] = value;
    });
    if (body.callback && !body.callback.phone && !body.callback.window) delete body.callback;
    // The customer's own language and time zone, unless the shop's form sets them:
    // the acknowledgement is written in that language, with due times in that zone.
    if (!body.locale && navigator.language) body.locale = navigator.language;
    if (!body.timezone) {
      try { body.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || undefined; } catch (e) { /* old browser */ }
    }
    return body;
  }

  function enhance(form) {
    var result = form.querySelector("[data-careline-result]") || form.appendChild(document.createElement("p"));
    result.setAttribute("role", "status");
    // One key per filled-in form: a double click or a retry creates one ticket.
    var key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      text(result, "Sending…");
      fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key },
        body: JSON.stringify(fields(form))
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.status === 201) {
            var due = new Date(data.first_response_due);
            text(result, "Thank you! Your reference is " + data.reference + ". We will answer by " +
              due.toLocaleString(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric",
                hour: "numeric", minute: "2-digit", timeZoneName: "short" }) + ". We have emailed you a confirmation.");
            result.className = "careline-ok";
            form.reset();
            key = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
          } else if (response.status === 400) {
            (data.errors || []).forEach(function (error) {
              var place = errorSlot(form, error.field.split(".")[0] === "callback" ? error.field.replace(".", "[") + "]" : error.field);
              text(place.slot, (place.slot.textContent ? place.slot.textContent + " " : "") + error.message);
              if (place.input) place.input.setAttribute("aria-invalid", "true");
            });
            text(result, "Please check the highlighted fields.");
            result.className = "careline-problem";
          } else if (response.status === 429) {
            var wait = Math.ceil((parseInt(response.headers.get("Retry-After"), 10) || 60) / 60);
            text(result, "We have received several messages from you just now. Please try again in about " + wait + " minute(s).");
            result.className = "careline-problem";
          } else {
            text(result, "Sorry, we could not take your message just now. Please try again in a minute.");
            result.className = "careline-problem";
          }
        });
      }).catch(function () {
        text(result, "We could not reach our support system. Please check your connection and try again.");
        result.className = "careline-problem";
      }).then(function () { if (button) button.disabled = false; });
    });
  }

  function start() { document.querySelectorAll("form[data-careline]").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
