/* erpai web: the few behaviours htmx does not cover (live chat, @-mentions, Train AI selection). */
"use strict";
(function () {
  function qs(sel, root) { return (root || document).querySelector(sel); }
  function qsa(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  /* ---- chat: live comments from the group's event stream ---- */
  function startChat(box) {
    var list = qs("#comments", box);
    var url = box.dataset.events;
    var source = new EventSource(url);
    source.addEventListener("comment", function (event) {
      var holder = document.createElement("ul");
      holder.innerHTML = event.data;
      var item = holder.firstElementChild;
      if (!item || document.getElementById(item.id)) { return; }
      list.appendChild(item);
      if (window.htmx) { window.htmx.process(item); }
      var replyTo = item.dataset.replyTo;
      if (replyTo && item.classList.contains("virtual")) {
        qsa('.thinking[data-for="' + replyTo + '"]', box).forEach(function (m) { m.remove(); });
      }
      list.scrollTop = list.scrollHeight;
      updateCount(box);
    });
    list.scrollTop = list.scrollHeight;
    list.addEventListener("scroll", function () {
      var older = qs("#older button", list);
      if (older && list.scrollTop < 40 && !older.dataset.loading) {
        older.dataset.loading = "1";
        older.click();
      }
    });
  }

  /* ---- chat: @-mention autocomplete on the composer ---- */
  function startMentions(box) {
    var input = qs("#f-text", box);
    var menu = qs("#mention-menu", box);
    if (!input || !menu) { return; }
    var people = JSON.parse(box.dataset.members || "[]");
    var active = -1;
    function close() { menu.hidden = true; menu.innerHTML = ""; active = -1; input.setAttribute("aria-expanded", "false"); }
    function word() {
      var upto = input.value.slice(0, input.selectionStart);
      var m = /@([\w.-]*)$/.exec(upto);
      return m ? m[1].toLowerCase() : null;
    }
    function choose(login) {
      var pos = input.selectionStart;
      var upto = input.value.slice(0, pos).replace(/@([\w.-]*)$/, "@" + login + " ");
      input.value = upto + input.value.slice(pos);
      input.setSelectionRange(upto.length, upto.length);
      close();
      input.focus();
    }
    function highlight() {
      qsa("li", menu).forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
    }
    input.addEventListener("input", function () {
      var w = word();
      if (w === null) { close(); return; }
      var found = people.filter(function (p) {
        return p.login.toLowerCase().indexOf(w) === 0 || p.name.toLowerCase().indexOf(w) === 0;
      }).slice(0, 8);
      if (!found.length) { close(); return; }
      menu.innerHTML = "";
      found.forEach(function (p, i) {
        var li = document.createElement("li");
        li.id = "mention-opt-" + i;
        li.setAttribute("role", "option");
        li.dataset.login = p.login;
        li.textContent = p.name + " (@" + p.login + ")";
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(p.login); });
        menu.appendChild(li);
      });
      active = 0;
      highlight();
      menu.hidden = false;
      input.setAttribute("aria-expanded", "true");
    });
    input.addEventListener("keydown", function (e) {
      if (menu.hidden) { return; }
      var items = qsa("li", menu);
      if (e.key === "ArrowDown") { active = (active + 1) % items.length; highlight(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = (active - 1 + items.length) % items.length; highlight(); e.preventDefault(); }
      else if (e.key === "Enter" || e.key === "Tab") { if (items[active]) { choose(items[active].dataset.login); e.preventDefault(); } }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  /* ---- chat: Train AI selection mode ---- */
  function updateCount(box) {
    var picked = qsa(".comment .pick input:checked", box);
    var counter = qs("#selected-count", box);
    if (counter) { counter.textContent = picked.length + (picked.length === 1 ? " comment selected" : " comments selected"); }
    var button = qs("#train-submit", box);
    if (button) { button.disabled = picked.length === 0; }
  }
  function startTrain(box) {
    var toggle = qs("#train-toggle", box);
    if (!toggle) { return; }
    toggle.addEventListener("click", function () {
      var on = !box.classList.contains("selecting");
      box.classList.toggle("selecting", on);
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "Stop selecting" : "Train AI";
      updateCount(box);
    });
    box.addEventListener("change", function (e) {
      if (e.target && e.target.matches(".pick input")) { updateCount(box); }
    });
    var form = qs("#train-form", box);
    if (form) {
      form.addEventListener("submit", function (e) {
        var n = qsa(".comment .pick input:checked", box).length;
        if (!window.confirm("Create a training conversation from " + n + " comment(s)?")) { e.preventDefault(); }
      });
    }
  }

  /* ---- ingest: a file dropped on the zone is put in the file input and the form is sent ---- */
  function startDropzone(zone) {
    var form = zone.closest("form");
    var input = qs("input[type=file]", zone);
    var busy = qs("#ingest-busy", form);
    function over(e) { e.preventDefault(); zone.classList.add("over"); }
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("over");
      if (!e.dataTransfer || !e.dataTransfer.files.length) { return; }
      input.files = e.dataTransfer.files;
      form.requestSubmit();
    });
    form.addEventListener("submit", function () { if (busy) { busy.textContent = "Reading the invoice…"; } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    qsa("[data-dropzone]").forEach(startDropzone);
    var box = qs("#chat");
    if (box) { startChat(box); startMentions(box); startTrain(box); }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var box = qs("#chat");
    if (box && e.target && e.target.id === "composer-area") {
      startMentions(box);
      qs("#f-text", box).focus();
      var list = qs("#comments", box);
      list.scrollTop = list.scrollHeight;
    }
  });
})();
