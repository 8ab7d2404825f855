// snapsim run report: look up the precomputed state of the run at an instant and draw it.
// The states were computed from the trace in Python; this script only finds and shows them.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("snapsim-data").textContent);
  var diagram = document.getElementById("diagram"), cursor = document.getElementById("cursor");
  var tip = document.getElementById("tip"), panel = document.getElementById("state");
  var slider = document.getElementById("slider");
  var current = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(t) { return (Math.round(t * 1000) / 1000).toString(); }
  function show(v) { return v === null || v === undefined ? "–" : (typeof v === "object" ? JSON.stringify(v) : String(v)); }
  // task -> its state as the pictures write it (count{hello:1}); tasks without state left out
  function byTask(o) { return Object.keys(o).filter(function (k) { return o[k] !== null; }).map(function (k) { return k + ": " + o[k]; }).join("; ") || "none"; }
  // index of the last embedded instant at or before t (-1 if t is before the run)
  function indexAt(t) {
    var lo = 0, hi = D.times.length - 1, best = -1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (D.times[mid] <= t + 1e-9) { best = mid; lo = mid + 1; } else hi = mid - 1; }
    return best;
  }
  function xOfTime(t) {
    var g = D.geo, f = g.box[0] + (t - g.t[0]) / (g.t[1] - g.t[0]) * (g.box[2] - g.box[0]);
    return f * diagram.clientWidth;
  }
  function timeOfX(clientX) {
    var r = diagram.querySelector("svg").getBoundingClientRect(), g = D.geo;
    var f = (clientX - r.left) / r.width;
    return g.t[0] + (f - g.box[0]) / (g.box[2] - g.box[0]) * (g.t[1] - g.t[0]);
  }
  function laneOfY(clientY) {
    var r = diagram.querySelector("svg").getBoundingClientRect(), f = (clientY - r.top) / r.height, best = null, d = 1;
    D.geo.lanes.forEach(function (l) { if (Math.abs(l.fy - f) < d) { d = Math.abs(l.fy - f); best = l.name; } });
    return best;
  }

  function item(it, t) {
    var flight = it.arrive > t + 1e-9;
    var cls = "item " + it.kind + (flight ? " flight" : "") + (it.replay ? " replay" : "") + (it.persisted ? " persisted" : "");
    var span = el("span", cls, it.label);
    span.title = (it.kind === "barrier" ? "barrier of checkpoint " + it.checkpoint + (it.unaligned ? " (unaligned)" : "") : "record")
      + ", sent at " + fmt(it.sent) + " ms, " + (flight ? "arrives at " + fmt(it.arrive) + " ms (in flight)" : "arrived at " + fmt(it.arrive) + " ms (queued)")
      + (it.replay ? "; replayed after a restore" : "") + (it.persisted ? "; persisted in checkpoint " + it.persisted : "");
    return span;
  }
  function kv(parent, key, value) {
    var p = el("div", "kv"); p.appendChild(el("b", null, key + ": ")); p.appendChild(document.createTextNode(value)); parent.appendChild(p);
  }
  function taskCard(task, t) {
    var card = el("div", "task " + task.status);
    card.dataset.task = task.name;
    var head = el("div"); head.appendChild(el("span", "name", task.name));
    if (task.status !== "running") head.appendChild(el("span", "badge " + task.status, task.status));
    if (task.blocked) head.appendChild(el("span", "badge blocked", "blocked"));
    if (task.snapshot) head.appendChild(el("span", "badge snap", "snapshot " + task.snapshot.checkpoint + " (" + task.snapshot.phase + ")"));
    card.appendChild(head);
    if (task.reason && task.status === "crashed") kv(card, "reason", task.reason);
    task.channels.forEach(function (ch) {
      var row = el("div", "chan");
      row.appendChild(el("span", "cname", "from " + ch.from + (ch.blocked ? " [blocked]" : "") + ": "));
      if (!ch.items.length) row.appendChild(el("span", "cname", "empty"));
      ch.items.forEach(function (it) { row.appendChild(item(it, t)); });
      card.appendChild(row);
    });
    if (task.in_hand) kv(card, "processing", task.in_hand.label);
    if (task.alignment) kv(card, "aligning", "checkpoint " + task.alignment.checkpoint + " since " + fmt(task.alignment.since) + " ms (first barrier on " + task.alignment.first + ")");
    if (task.buffered.length) kv(card, "alignment buffer", task.buffered.map(function (b) { return b.label; }).join(" · "));
    if (task.state !== null) kv(card, "state", show(task.state) + (task.state_source ? "  (" + task.state_source + ")" : ""));
    if (task.position) kv(card, "next offset to read", task.position);
    if (task.open_txn || task.pending_txns.length) kv(card, "transactions", "open " + (task.open_txn || "none") + (task.pending_txns.length ? "; pre-committed " + task.pending_txns.join(", ") : ""));
    return card;
  }
  function boxes(s, t) {
    var out = [];
    s.checkpoints.filter(function (c) { return c.status === "in progress"; }).forEach(function (c) {
      var b = el("div", "box cp", "Checkpoint " + c.id + " in progress since " + fmt(c.trigger) + " ms; acknowledged by " + (c.acked.join(", ") || "nobody yet") + "; waiting for " + (c.waiting.join(", ") || "nobody") + ".");
      out.push(b);
    });
    if (s.failure && (s.job.status !== "running" || !s.restore || s.restore.t < s.failure.t || t - s.failure.t < 1e-9)) {
      var f = s.failure, b = el("div", "box failure");
      b.appendChild(el("div", null, "Failure at " + fmt(f.t) + " ms: " + (f.crashed.join(", ") || "the job") + " — " + f.reason));
      b.appendChild(el("div", null, "Lost in flight: " + (f.dropped === null ? "not recorded in a " + s.level + " trace" : f.dropped.length ? f.dropped.map(function (d) { return (d.in_hand ? d.where + " was processing " : d.where + ": ") + d.items.join(", "); }).join("; ") : "nothing was in the channels")));
      var open = f.open_txns.filter(function (x) { return x.records === null || x.records > 0; });
      b.appendChild(el("div", null, "Uncommitted output: " + (open.length ? open.map(function (x) { return x.txn + " (" + x.status + (x.records === null ? ", records not in a summary trace" : ", " + x.records + " record(s): " + x.values.join(", ")) + ")"; }).join("; ") : "none")));
      b.appendChild(el("div", null, "Operator state at the failure: " + (f.states === null ? "not recorded in a " + s.level + " trace" : byTask(f.states))));
      out.push(b);
    }
    if (s.restore) {
      var r = s.restore, rb = el("div", "box restore");
      rb.appendChild(el("div", null, "Restart at " + fmt(r.t) + " ms (attempt " + r.attempt + ") from checkpoint " + show(r.checkpoint) + ": sources start again at " + r.offsets + "."));
      rb.appendChild(el("div", null, "Restored state: " + byTask(r.states)));
      rb.appendChild(el("div", null, "Aborted on restore: " + (r.aborted.length ? r.aborted.map(function (a) { return a.txn + " (" + a.records + " records)"; }).join(", ") : "none")));
      rb.appendChild(el("div", null, "Replayed so far: " + (r.replayed.length ? r.replayed.join(", ") : "nothing yet")));
      out.push(rb);
    }
    return out;
  }
  function partitions(s) {
    var tbl = el("table"), head = el("tr");
    ["partition", "role", "high watermark", "last stable offset", "open transactions", "last entries"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    tbl.appendChild(head);
    s.partitions.forEach(function (p) {
      var tr = el("tr");
      [p.topic + "-" + p.partition, p.role, (p.role === "input" ? "≥ " : "") + p.hw, p.lso, p.open.join(", ") || "–",
       p.entries.map(function (e) { return e.offset + ":" + (e.marker || e.value); }).join("  ")].forEach(function (c) { tr.appendChild(el("td", null, c)); });
      tbl.appendChild(tr);
    });
    return tbl;
  }
  // a state with its pooled parts put back (see _pooled in html.py)
  function stateAt(i) {
    var s = D.states[i], out = {};
    Object.keys(s).forEach(function (k) { out[k] = s[k]; });
    out.tasks = s.tasks.map(function (j) { return D.pool[j]; });
    ["partitions", "checkpoints", "readers", "failure", "restore"].forEach(function (k) { out[k] = D.pool[s[k]]; });
    return out;
  }
  function render(t) {
    var i = indexAt(t), s = i >= 0 ? stateAt(i) : null;
    panel.textContent = "";
    var now = el("div", "now", "t = " + fmt(t) + " ms");
    panel.appendChild(now);
    if (!s) { panel.appendChild(el("p", null, "Before the run started.")); return; }
    now.appendChild(el("span", "job", "job " + s.job.status + ", attempt " + s.job.attempt + (s.job.reason ? " (" + s.job.reason + ")" : "")));
    s.notes.forEach(function (n) { panel.appendChild(el("div", "notes", "Note: " + n)); });
    var happened = D.events.filter(function (e) { return Math.abs(e[0] - D.times[i]) < 1e-9; });
    if (happened.length) {
      var ul = el("ul", "happened");
      ul.appendChild(el("b", null, "At " + fmt(D.times[i]) + " ms:"));
      happened.slice(0, 12).forEach(function (e) { ul.appendChild(el("li", null, e[2])); });
      if (happened.length > 12) ul.appendChild(el("li", null, "… " + (happened.length - 12) + " more"));
      panel.appendChild(ul);
    }
    boxes(s, t).forEach(function (b) { panel.appendChild(b); });
    panel.appendChild(el("div", "legend", "Channel contents, head first: solid = arrived and queued, dashed = still in flight; blue = barrier; orange underline = replayed after a restore; purple underline = persisted as channel state."));
    var grid = el("div", "tasks");
    s.tasks.forEach(function (task) { grid.appendChild(taskCard(task, t)); });
    panel.appendChild(grid);
    panel.appendChild(partitions(s));
    Object.keys(s.readers).forEach(function (name) {
      var r = s.readers[name];
      kv(panel, "reader " + name + " (" + r.isolation + ") has read " + r.count, r.read.join(", ") || "nothing yet");
    });
  }
  function setTime(t, fromHash) {
    current = t;
    cursor.style.display = "block";
    cursor.style.left = xOfTime(t) + "px";
    var i = indexAt(t);
    slider.value = Math.max(0, i);
    render(t);
    if (!fromHash && window.history && history.replaceState) history.replaceState(null, "", "#t=" + fmt(t));
  }
  function step(kind, dir) {
    var list = kind === "event" ? D.times : D.moments[kind], t = current === null ? -Infinity : current, pick = null;
    if (dir > 0) { for (var k = 0; k < list.length; k++) if (list[k] > t + 1e-9) { pick = list[k]; break; } }
    else { for (var j = list.length - 1; j >= 0; j--) if (list[j] < t - 1e-9) { pick = list[j]; break; } }
    if (pick !== null) setTime(pick);
  }
  // #t=152 shows that instant; #click=0.3,0.4 clicks the diagram at those fractions of its
  // width and height (how a headless browser test clicks without a driver); &still makes the page
  // a picture: no instructions, no controls, nothing after the state panel (report.css)
  function fromHash() {
    var m = /[#&]t=([0-9.eE+-]+)/.exec(location.hash), c = /[#&]click=([0-9.]+),([0-9.]+)/.exec(location.hash);
    document.body.classList.toggle("still", /[#&]still(&|$)/.test(location.hash));
    if (m) setTime(parseFloat(m[1]), true);
    if (c) {
      var r = diagram.querySelector("svg").getBoundingClientRect();
      diagram.dispatchEvent(new MouseEvent("click", {bubbles: true, clientX: r.left + parseFloat(c[1]) * r.width,
                                                     clientY: r.top + parseFloat(c[2]) * r.height}));
    }
  }

  diagram.addEventListener("click", function (ev) { setTime(timeOfX(ev.clientX)); });
  diagram.addEventListener("mousemove", function (ev) {
    var t = timeOfX(ev.clientX), lane = laneOfY(ev.clientY), g = D.geo, tol = (g.t[1] - g.t[0]) / diagram.clientWidth * 6;
    var near = D.events.filter(function (e) { return e[1] === lane && Math.abs(e[0] - t) <= tol; });
    var r = diagram.getBoundingClientRect();
    tip.textContent = fmt(t) + " ms · " + (lane || "") + (near.length ? "\n" : "");
    near.slice(0, 6).forEach(function (e) { tip.appendChild(el("div", null, fmt(e[0]) + " ms: " + e[2])); });
    tip.style.display = "block";
    tip.style.left = Math.min(ev.clientX - r.left + 12, diagram.clientWidth - 300) + "px";
    tip.style.top = (ev.clientY - r.top + 12) + "px";
  });
  diagram.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  slider.addEventListener("input", function () { setTime(D.times[+slider.value]); });
  document.querySelectorAll("#controls button").forEach(function (b) {
    b.addEventListener("click", function () { step(b.dataset.kind, +b.dataset.dir); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.target === slider) return;       // the slider moves itself with the arrow keys
    if (ev.key === "ArrowRight") step("event", 1); else if (ev.key === "ArrowLeft") step("event", -1);
  });
  window.addEventListener("hashchange", fromHash);
  window.addEventListener("resize", function () { if (current !== null) cursor.style.left = xOfTime(current) + "px"; });
  fromHash();
})();
