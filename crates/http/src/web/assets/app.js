// Casewire dashboard: the few live parts of otherwise plain server-rendered pages.
// - the compose box: segment and encoding counter and the linter's findings as staff
//   type (debounced calls to /ui/lint), sending without leaving the page;
// - the thread: new replies and status changes from the case's event stream;
// - template boxes: a live preview (or the template's error) from /ui/preview.
// Every change request carries the session's CSRF token in the X-CSRF-Token header.
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function postJson(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "content-type": "application/json",
        "accept": "application/json",
        "x-csrf-token": csrf
      },
      body: JSON.stringify(data)
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  // ---- The thread -------------------------------------------------------------
  var thread = document.getElementById("thread");

  function toBottom() {
    if (thread) { thread.scrollTop = thread.scrollHeight; }
  }

  function upsert(item) {
    if (!thread) { return; }
    var tpl = document.createElement("template");
    tpl.innerHTML = item.html.trim();
    var node = tpl.content.firstElementChild;
    if (!node) { return; }
    var existing = document.getElementById("msg-" + item.id);
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    var empty = document.getElementById("thread-empty");
    if (empty) { empty.remove(); }
    // Keep the thread in id order even if the stream and a send answer cross.
    var after = null;
    var items = thread.querySelectorAll("li.msg");
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].getAttribute("data-id")) < item.id) { after = items[i]; break; }
    }
    if (after) { after.after(node); } else { thread.prepend(node); }
    toBottom();
  }

  if (thread) {
    toBottom();
    var live = thread.getAttribute("data-live");
    if (live && window.EventSource) {
      var source = new EventSource(live);
      source.onmessage = function (e) {
        try { upsert(JSON.parse(e.data)); } catch (err) { /* a malformed event is skipped */ }
      };
    }
  }

  // ---- The compose box ------------------------------------------------------------
  var compose = document.getElementById("compose");
  if (compose) {
    var body = compose.querySelector("textarea[name=body]");
    var counter = document.getElementById("counter");
    var lintList = document.getElementById("lint");
    var status = document.getElementById("send-status");
    var caseId = Number(compose.getAttribute("data-case-id"));
    var sending = false;

    var renderReport = function (report) {
      var s = report.segments;
      var encoding = report.encoding === "ucs2" ? "UCS-2 (Unicode)" : "GSM-7";
      counter.textContent = s.chars + " characters · " + s.count +
        (s.count === 1 ? " segment" : " segments") + " · " + encoding +
        " · " + s.units + "/" + (s.count > 1 ? s.per_segment * s.count : s.per_segment);
      lintList.textContent = "";
      report.findings.forEach(function (f) {
        if (f.code === "empty") { return; }
        var li = document.createElement("li");
        li.className = f.severity;
        li.setAttribute("data-code", f.code);
        var strong = document.createElement("strong");
        strong.textContent = f.severity === "error" ? "Error: " : f.severity === "warning" ? "Warning: " : "Note: ";
        li.appendChild(strong);
        li.appendChild(document.createTextNode(f.message));
        if (f.suggestion) {
          li.appendChild(document.createTextNode(" Suggestion: " + f.suggestion));
        }
        lintList.appendChild(li);
      });
    };

    var check = debounce(function () {
      var text = body.value;
      postJson("/ui/lint", { body: text, case_id: caseId }).then(function (report) {
        if (body.value === text) { renderReport(report); }
      }).catch(function () { /* the counter keeps its last value */ });
    }, 250);
    body.addEventListener("input", check);

    compose.addEventListener("submit", function (e) {
      e.preventDefault();
      if (sending) { return; }
      sending = true;
      status.textContent = "Sending…";
      fetch(compose.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "accept": "application/json", "x-csrf-token": csrf },
        body: new URLSearchParams(new FormData(compose))
      }).then(function (r) {
        if (r.status === 401 || r.status === 403) {
          throw new Error("Your session has ended: reload the page and sign in again.");
        }
        return r.json();
      }).then(function (answer) {
        if (!answer.ok) { throw new Error(answer.error); }
        answer.messages.forEach(upsert);
        body.value = "";
        status.textContent = answer.summary;
        check();
      }).catch(function (err) {
        status.textContent = err.message || "The text was not sent.";
      }).finally(function () {
        sending = false;
      });
    });
  }

  // ---- Template previews -------------------------------------------------------------
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-preview"));
    if (!out) { return; }
    var show = function () {
      var text = area.value;
      postJson("/ui/preview", { template: text }).then(function (r) {
        if (area.value !== text) { return; }
        out.textContent = "";
        out.classList.toggle("error", !r.ok);
        area.setAttribute("aria-invalid", r.ok ? "false" : "true");
        if (!r.ok) {
          out.textContent = "Cannot be saved: " + r.error;
          return;
        }
        var label = document.createElement("div");
        label.className = "sub";
        label.textContent = "Preview for a sample event (" + r.segments +
          (r.segments === 1 ? " segment" : " segments") + "):";
        out.appendChild(label);
        out.appendChild(document.createTextNode(r.with_location));
        if (r.without_location !== r.with_location) {
          var alt = document.createElement("div");
          alt.className = "sub";
          alt.textContent = "Without a location: " + r.without_location;
          out.appendChild(alt);
        }
      }).catch(function () { /* keep the last preview */ });
    };
    area.addEventListener("input", debounce(show, 250));
    show();
  });
})();
