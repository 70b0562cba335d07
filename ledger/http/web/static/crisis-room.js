// crisis-ledger · the crisis room's one script. The pages work without it (every action is a plain
// form); it adds what must be live: times in the viewer's zone, the SLA clocks counting down, the
// board following the feed, X's weighted counter in the reply composer, and the plan's what-if preview.
// No library, no build step: docs/crisis-room.md says why.
"use strict";

(function () {
  const warningSeconds = Number(document.body.dataset.warningSeconds || 300);
  const localFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  // "45 s", "12 min", "3 h 5 min", "2 d 4 h": as the server writes them (ledger/http/web/present.py).
  function duration(seconds) {
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    const minutes = Math.floor(s / 60), hours = Math.floor(s / 3600), days = Math.floor(s / 86400);
    if (s < 3600) return minutes + " min";
    if (s < 86400) return minutes % 60 ? hours + " h " + (minutes % 60) + " min" : hours + " h";
    return hours % 24 ? days + " d " + (hours % 24) + " h" : days + " d";
  }

  // A clock's state at `now`, as the server's clock_state says it when it renders the page.
  function clockState(status, due, met, now) {
    if (status === "met") return ["met", ""];
    if (status === "cancelled") return ["cancelled", ""];
    if (!due) return status === "breached" ? ["breached", ""] : ["pending", "not started"];
    if (status === "breached" && met) return ["breached", "late by " + duration((met - due) / 1000)];
    const left = (due - now) / 1000;
    if (left <= 0) return ["breached", "overdue " + duration(-left)];
    if (status === "breached") return ["breached", "next due in " + duration(left)];
    if (left <= warningSeconds) return ["at risk", duration(left) + " left"];
    return ["pending", duration(left) + " left"];
  }

  function localise(root) {
    root.querySelectorAll("time[data-local]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) el.textContent = localFormat.format(when);
    });
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll(".clock[data-status]").forEach(function (el) {
      const due = el.dataset.due ? Date.parse(el.dataset.due) : null;
      const met = el.dataset.met ? Date.parse(el.dataset.met) : null;
      const [state, text] = clockState(el.dataset.status, due, met, now);
      if (el.dataset.state !== state) {
        el.dataset.state = state;
        el.querySelector(".clock-state").textContent = state;
      }
      const time = el.querySelector(".clock-time");
      if (time.textContent !== text) time.textContent = text;
    });
    document.querySelectorAll("[data-since]").forEach(function (el) {
      el.textContent = duration((now - Date.parse(el.dataset.since)) / 1000);
    });
  }

  // Follow the tenant's feed (same-origin SSE on the session cookie); call `onEvent` per event.
  function follow(el, onEvent, status) {
    if (!window.EventSource || !el.dataset.liveUrl) return;
    const source = new EventSource(el.dataset.liveUrl);
    (el.dataset.eventTypes || "").split(" ").forEach(function (type) {
      source.addEventListener(type, function (message) {
        let event = null;
        try { event = JSON.parse(message.data); } catch (e) { /* a frame we cannot read: still a change */ }
        onEvent(event);
      });
    });
    if (status) {
      source.onopen = function () {
        status.dataset.state = "live";
        status.textContent = "Live: this board follows the feed.";
      };
      source.onerror = function () {
        status.dataset.state = "lost";
        status.textContent = "Live view interrupted: reconnecting…";
      };
    }
  }

  function liveBoard() {
    const board = document.getElementById("board");
    if (!board) return;
    const rows = document.getElementById("board-rows");
    const status = document.getElementById("live-status");
    let pending = null, running = false, again = false;

    async function refresh() {
      if (running) { again = true; return; }
      running = true;
      try {
        const answer = await fetch(board.dataset.rowsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (answer.redirected || answer.status === 401 || answer.status === 403) {
          window.location.assign("/login");  // signed out meanwhile (expired, or the key was revoked)
          return;
        }
        if (answer.ok) {
          const focused = document.activeElement && rows.contains(document.activeElement)
            ? document.activeElement.getAttribute("href") : null;
          rows.innerHTML = await answer.text();
          localise(rows);
          tick();
          if (focused) {
            const target = rows.querySelector('a[href="' + focused + '"]');
            if (target) target.focus();
          }
          status.textContent = "Live: updated " + new Date().toLocaleTimeString() + ".";
        }
      } finally {
        running = false;
        if (again) { again = false; refresh(); }
      }
    }

    follow(board, function () {
      clearTimeout(pending);
      pending = setTimeout(refresh, 100);  // (a burst of events is one refresh)
    }, status);
  }

  function liveIncident() {
    const head = document.getElementById("incident");
    if (!head) return;
    const id = head.dataset.incident, version = Number(head.dataset.version);
    const notice = document.getElementById("changed");
    follow(head, function (event) {
      // Only told, never applied: the forms keep the version the page shows (If-Match).
      if (event && event.incident_id === id && event.version > version) notice.hidden = false;
    });
  }

  function composer() {
    const form = document.getElementById("composer");
    if (!form) return;
    const text = form.querySelector("#reply-text"), count = form.querySelector("#reply-count");
    const send = form.querySelector("#send-reply"), findings = form.querySelector("#reply-findings");
    const channel = form.querySelector("#reply-channel"), visibility = form.querySelector("#reply-visibility");
    let asked = 0, timer = null;

    async function recount() {
      const mine = ++asked;
      const answer = await fetch(form.dataset.countUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({ text: text.value, channel: channel.value, visibility: visibility.value }),
      });
      if (!answer.ok || mine !== asked) return;  // (a later keystroke's answer will say)
      const counted = await answer.json();
      count.classList.toggle("over", counted.over);
      count.textContent = counted.counted
        ? counted.weighted_length + " / " + counted.limit + (counted.over ? " (too long for X)" : "")
        : counted.weighted_length + " (X's limit does not apply)";
      findings.replaceChildren(...(counted.findings || []).map(function (finding) {
        const item = document.createElement("li");
        item.className = "finding finding-" + finding.level;
        item.textContent = finding.level + ": " + finding.message + (finding.excerpt ? " (“" + finding.excerpt + "”)" : "");
        return item;
      }));
      if (counted.require_approval) {
        const item = document.createElement("li");
        item.className = "finding finding-problem";
        item.textContent = "The plan asks for an approver on a flagged public reply: fill in Approved by.";
        findings.appendChild(item);
      }
      send.disabled = counted.over;
      send.title = counted.over ? "Too long for a public reply on X" : "";
    }

    function later() { clearTimeout(timer); timer = setTimeout(recount, 120); }
    text.addEventListener("input", later);
    channel.addEventListener("change", recount);
    visibility.addEventListener("change", recount);
    const holding = document.getElementById("holding");
    if (holding) {
      holding.addEventListener("change", function () {
        const chosen = holding.selectedOptions[0];
        if (chosen && chosen.dataset.text) { text.value = chosen.dataset.text; recount(); text.focus(); }
      });
    }
    if (text.value) recount();
  }

  // The plan's what-if preview: the same form post, asked as NDJSON so that the table fills in as
  // the incidents are measured (each line carries HTML the server rendered; plan_preview.py).
  function planPreview() {
    const form = document.getElementById("plan-form"), button = document.getElementById("preview-button");
    const slot = document.getElementById("preview-slot");
    if (!form || !button || !slot || !window.fetch || !window.TextDecoder) return;
    form.addEventListener("submit", async function (event) {
      if (event.submitter !== button) return;  // (Save plan posts as a plain form)
      event.preventDefault();
      button.disabled = true;
      slot.replaceChildren();
      document.querySelectorAll("#problem").forEach(function (el) { el.remove(); });
      try {
        const answer = await fetch(button.formAction, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/x-ndjson", "X-CSRF-Token": form.elements.csrf.value },
          body: new URLSearchParams(new FormData(form)),
        });
        if (!answer.ok) return previewProblem(slot, answer);
        await previewLines(slot, answer);
      } catch (e) {
        previewNote(slot, "The preview was interrupted. Nothing was saved; try again.");
      } finally {
        button.disabled = false;
      }
    });
  }

  async function previewProblem(slot, answer) {
    let problem = null;
    try { problem = await answer.json(); } catch (e) { /* not a problem document */ }
    const note = previewNote(slot, "");
    const title = document.createElement("strong");
    title.textContent = ((problem && problem.title) || "The preview was refused") + ". ";
    note.append(title, (problem && problem.detail) || "");
    note.focus();
  }

  function previewNote(slot, text) {
    const note = document.createElement("div");
    note.className = "notice notice-problem";
    note.setAttribute("role", "alert");
    note.tabIndex = -1;
    note.textContent = text;
    slot.appendChild(note);
    return note;
  }

  async function previewLines(slot, answer) {
    const reader = answer.body.getReader(), decoder = new TextDecoder();
    let buffered = "", finished = false;
    const show = function (line) {
      if (line.html !== undefined) {
        slot.innerHTML = line.html;
        localise(slot);
        slot.querySelector("#preview-h").focus();
      }
      const progress = slot.querySelector("#preview-progress"), count = slot.querySelector("#preview-count");
      if (line.rows) {
        slot.querySelector("#preview-rows").insertAdjacentHTML("beforeend", line.rows);
        localise(slot.querySelector("#preview-rows"));
      }
      if (line.done !== undefined && progress) {
        progress.max = line.total || 1;
        progress.value = line.total ? line.done : 1;
        count.textContent = line.done.toLocaleString() + " of " + line.total.toLocaleString() + " incidents"
          + (line.summary !== undefined ? ": done." : "…");
      }
      if (line.summary !== undefined) {
        slot.querySelector("#preview-summary").innerHTML = line.summary;
        finished = true;
      }
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffered += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, end).trim();
        buffered = buffered.slice(end + 1);
        if (line) show(JSON.parse(line));
      }
      if (done) break;
    }
    if (!finished) previewNote(slot, "The preview stopped before the end. Nothing was saved; try again.");
  }

  document.addEventListener("DOMContentLoaded", function () {
    localise(document);
    tick();
    setInterval(tick, 1000);
    liveBoard();
    liveIncident();
    composer();
    planPreview();
  });
})();
