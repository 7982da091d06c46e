/* ODOP console: keeps the to-do count (new orders, returns to decide, orders to pack) fresh in the page title and
   on the Orders link without a reload. The server renders the count too, so without JavaScript nothing is lost.
   Polls <body data-todo-url> every data-todo-every seconds while the page is visible, and stops for good once
   the session is over (401, or a redirect to the sign-in page). No inline script: the CSP allows 'self' only. */
(function () {
  "use strict";
  var body = document.body;
  var url = body && body.getAttribute("data-todo-url");
  if (!url || !window.fetch) {
    return;
  }
  var every = Math.max(1, parseInt(body.getAttribute("data-todo-every"), 10) || 30) * 1000;
  var badge = document.getElementById("todo-badge");
  var number = document.getElementById("todo-n");
  var plain = document.title.replace(/^\(\d+\) /, "");
  var timer = null;
  var stopped = false;

  function show(count) {
    document.title = count > 0 ? "(" + count + ") " + plain : plain;
    if (badge && number) {
      number.textContent = String(count);
      badge.hidden = count <= 0;
    }
  }

  function stop() {
    stopped = true;
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  }

  function later() {
    if (!stopped) {
      timer = setTimeout(poll, every);
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      later();  // asked again when the page is shown (visibilitychange)
      return;
    }
    fetch(url, {credentials: "same-origin", redirect: "manual", cache: "no-store",
                headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          stop();  // signed out or expired: the next page load shows the sign-in form
          return null;
        }
        return response.ok ? response.json() : null;  // a passing failure: try again next time
      })
      .then(function (data) {
        if (data && typeof data.count === "number") {
          show(data.count);
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(later);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !stopped && timer !== null) {
      clearTimeout(timer);
      poll();
    }
  });
  later();
}());
