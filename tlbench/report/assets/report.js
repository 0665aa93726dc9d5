// tlbench report: item browser. Reads the JSON embedded in #report-data; renders one page of rows at a
// time and builds the item view on demand, so large runs stay responsive. Text goes in via textContent.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 50;
  var items = DATA.items;
  var state = { page: 0, rows: [] };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fill(select, values, labels) {
    select.textContent = "";
    for (var k = 0; k < values.length; k++) {
      var o = el("option", null, labels[k]);
      o.value = values[k];
      select.appendChild(o);
    }
  }
  function indexList(n) { var a = []; for (var k = 0; k < n; k++) { a.push(String(k)); } return a; }

  function setupFilters() {
    fill($("f-run"), [""].concat(indexList(DATA.runs.length)), ["all"].concat(DATA.runs));
    fill($("f-bench"), [""].concat(indexList(DATA.benches.length)), ["all"].concat(DATA.benches));
    fill($("f-cat"), ["", "*error"].concat(DATA.cats), ["all", "any error"].concat(DATA.cats));
    updateScenarios();
    ["f-run", "f-bench", "f-scenario", "f-correct", "f-cat"].forEach(function (id) {
      $(id).addEventListener("change", function () {
        if (id === "f-bench") { updateScenarios(); }
        apply();
      });
    });
    $("f-text").addEventListener("input", apply);
    $("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; draw(); } });
    $("next").addEventListener("click", function () {
      if ((state.page + 1) * PAGE < state.rows.length) { state.page++; draw(); }
    });
    $("iv-close").addEventListener("click", closeItem);
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { closeItem(); } });
  }

  function updateScenarios() {
    var b = $("f-bench").value, seen = {}, list = [];
    for (var k = 0; k < items.length; k++) {
      var it = items[k];
      if ((b === "" || String(it.b) === b) && !seen[it.s]) { seen[it.s] = 1; list.push(it.s); }
    }
    list.sort();
    fill($("f-scenario"), [""].concat(list), ["all"].concat(list));
  }

  function apply() {
    var r = $("f-run").value, b = $("f-bench").value, s = $("f-scenario").value;
    var c = $("f-correct").value, cat = $("f-cat").value, text = $("f-text").value.toLowerCase();
    var rows = [];
    for (var k = 0; k < items.length; k++) {
      var it = items[k];
      if (r !== "" && String(it.r) !== r) { continue; }
      if (b !== "" && String(it.b) !== b) { continue; }
      if (s !== "" && it.s !== s) { continue; }
      if (c !== "" && String(it.ok) !== c) { continue; }
      if (cat === "*error" && !it.c.some(function (x) { return x !== "correct"; })) { continue; }
      if (cat !== "" && cat !== "*error" && it.c.indexOf(cat) < 0) { continue; }
      if (text && String(it.id).toLowerCase() !== text &&
          (it.o || "").toLowerCase().indexOf(text) < 0) { continue; }
      rows.push(k);
    }
    state.rows = rows;
    state.page = 0;
    draw();
  }

  function verdict(it) {
    var span = el("span", it.ok ? "ok" : "bad", it.ok ? "\u2713 " : "\u2717 ");
    var flags = [];
    for (var key in it.m) { if (Object.prototype.hasOwnProperty.call(it.m, key)) {
      flags.push(key + (it.m[key] ? "+" : "-"));
    } }
    span.appendChild(document.createTextNode(flags.join(" ")));
    return span;
  }
  function cats(list) {
    var frag = document.createDocumentFragment();
    list.forEach(function (x) { frag.appendChild(el("span", "cat" + (x === "correct" ? " correct" : ""), x)); });
    return frag;
  }

  function draw() {
    var body = document.querySelector("#items tbody");
    body.textContent = "";
    var start = state.page * PAGE, end = Math.min(state.rows.length, start + PAGE);
    for (var n = start; n < end; n++) {
      var k = state.rows[n], it = items[k];
      var tr = el("tr");
      tr.setAttribute("data-k", String(k));
      tr.appendChild(el("td", null, DATA.runs[it.r]));
      tr.appendChild(el("td", null, DATA.benches[it.b]));
      tr.appendChild(el("td", null, it.id));
      tr.appendChild(el("td", null, it.s));
      var v = el("td"); v.appendChild(verdict(it)); tr.appendChild(v);
      var cc = el("td"); cc.appendChild(cats(it.c)); tr.appendChild(cc);
      tr.appendChild(el("td", null, (it.o || "").slice(0, 160)));
      tr.addEventListener("click", openRow);
      body.appendChild(tr);
    }
    var pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
    $("count").textContent = state.rows.length + " of " + items.length + " items";
    $("page").textContent = "page " + (state.page + 1) + " / " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page + 1 >= pages;
  }

  function openRow(ev) { openItem(Number(ev.currentTarget.getAttribute("data-k"))); }

  function section(body, title, content, asJson) {
    if (content === undefined || content === null || content === "" ||
        (Array.isArray(content) && content.length === 0)) { return; }
    body.appendChild(el("h3", null, title));
    body.appendChild(el("pre", null, asJson ? JSON.stringify(content, null, 2) : content));
  }
  function messages(body, title, list) {
    if (!Array.isArray(list) || !list.length) { return; }
    body.appendChild(el("h3", null, title));
    list.forEach(function (m) {
      var box = el("div", "turn");
      box.appendChild(el("div", "msg-role", m.role || m.from || "?"));
      var content = m.content !== undefined ? m.content : m.value;
      box.appendChild(el("pre", null, typeof content === "string" ? content : JSON.stringify(content, null, 2)));
      body.appendChild(box);
    });
  }
  function promptText(p) {
    if (typeof p === "string") { return p; }
    if (Array.isArray(p)) {
      return p.map(function (m) { return "[" + (m.role || m.from) + "]\n" + (m.content || m.value || ""); }).join("\n\n");
    }
    return p === null || p === undefined ? "" : JSON.stringify(p, null, 2);
  }

  function openItem(k) {
    var it = items[k];
    if (!it) { return; }
    $("iv-title").textContent = DATA.runs[it.r] + " \u00b7 " + DATA.benches[it.b] + " \u00b7 item " + it.id;
    var body = $("iv-body");
    body.textContent = "";
    body.appendChild(el("h3", null, "Verdict"));
    var vp = el("p"); vp.appendChild(verdict(it)); vp.appendChild(document.createTextNode("  "));
    vp.appendChild(cats(it.c)); body.appendChild(vp);
    section(body, "Scorer detail", it.d, true);
    section(body, "Prompt", promptText(it.p >= 0 ? DATA.strings[it.p] : null));
    section(body, "Raw output", it.o === "" ? "(empty output)" : it.o);
    section(body, "Parsed calls", it.pc, true);
    section(body, "Gold calls", it.g, true);
    if (Array.isArray(it.t) && it.t.length) {
      body.appendChild(el("h3", null, "Turns (output, calls, tools_env feedback, category)"));
      it.t.forEach(function (t, n) {
        var box = el("div", "turn");
        box.appendChild(el("div", "msg-role", "turn " + (n + 1) + " \u00b7 " + (t.category || "")));
        box.appendChild(el("pre", null, t.output || t.raw || "(empty output)"));
        if (t.calls && t.calls.length) { box.appendChild(el("pre", null, "calls: " + JSON.stringify(t.calls))); }
        if (t.feedback !== undefined && t.feedback !== null) {
          var fb = t.feedback;
          if (Array.isArray(fb) && fb.every(function (x) { return typeof x === "string"; })) { fb = fb.join("\n"); }
          box.appendChild(el("pre", null, "feedback: " +
            (typeof fb === "string" ? fb : JSON.stringify(fb, null, 2))));
        }
        body.appendChild(box);
      });
    }
    messages(body, "Transcript", it.tr);
    $("item-view").hidden = false;
    if (location.hash !== "#item-" + k) { history.replaceState(null, "", "#item-" + k); }
  }
  function closeItem() {
    $("item-view").hidden = true;
    if (location.hash.indexOf("#item-") === 0) { history.replaceState(null, "", "#browser"); }
  }

  setupFilters();
  apply();
  var m = /^#item-(\d+)$/.exec(location.hash);
  if (m) { openItem(Number(m[1])); }
})();
