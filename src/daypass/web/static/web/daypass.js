/* daypass: small progressive enhancements. Every form also works without this file:
   confirmations then come as a server-rendered page instead of a <dialog>. */
(function () {
  "use strict";

  // Loaded in <head> without defer, so this runs before the page is drawn: the narrow-screen
  // navigation starts collapsed (CSS: html.js .sidenav) and never flashes open. Without
  // JavaScript the navigation simply stays visible above the page.
  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (!toggle) return;
    var open = document.body.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  function checkedValues(field) {
    var boxes = document.querySelectorAll("input[data-row-box][name=" + field + "]:checked");
    return Array.from(boxes).map(function (box) { return box.value; });
  }

  function refreshSelection() {
    var count = document.querySelectorAll("input[data-row-box]:checked").length;
    document.querySelectorAll("[data-selected-count]").forEach(function (el) {
      el.textContent = String(count);
    });
    document.querySelectorAll("input[data-row-box]").forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
    });
  }

  function openDialog(button) {
    var dialog = document.getElementById(button.dataset.dialog);
    if (!dialog) return false;
    var form = dialog.querySelector("form");
    var source = button.form;
    if (button.dataset.action) form.action = button.dataset.action;
    else if (button.getAttribute("formaction")) form.action = button.getAttribute("formaction");
    else if (source) form.action = source.action;
    dialog.querySelectorAll("[data-value]").forEach(function (el) {
      var value = button.dataset[el.dataset.value];
      if (value !== undefined) el.value = value;
    });
    dialog.querySelectorAll("[data-fill]").forEach(function (el) {
      var value = button.dataset[el.dataset.fill];
      if (value !== undefined) el.textContent = value;
    });
    if (button.dataset.selection !== undefined) {
      // Copy the ticked rows (cards, or devices) into the dialog's form.
      var field = button.dataset.selection || "cards";
      var values = checkedValues(field);
      form.querySelectorAll("input[type=hidden][name=" + field + "]").forEach(function (el) {
        el.remove();
      });
      values.forEach(function (value) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = field;
        input.value = value;
        form.appendChild(input);
      });
      dialog.querySelectorAll("[data-fill=count]").forEach(function (el) {
        el.textContent = String(values.length);
      });
      var none = values.length === 0;
      dialog.querySelectorAll("[data-when-empty]").forEach(function (el) { el.hidden = !none; });
      dialog.querySelectorAll("[data-when-selected]").forEach(function (el) { el.hidden = none; });
      var submit = form.querySelector("[type=submit]");
      if (submit) submit.disabled = none;
    }
    var next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
    dialog.showModal();
    var first = dialog.querySelector("input:not([type=hidden]), select, [type=submit]:not([disabled])");
    if (first) first.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      if (openDialog(opener)) event.preventDefault();
      return;
    }
    var closer = event.target.closest("[data-close]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-autosubmit]")) target.form.requestSubmit();
    if (target.matches("[data-check-all]")) {
      document.querySelectorAll("input[data-row-box]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("input[data-row-box], [data-check-all]")) refreshSelection();
  });

  // Customer selector: type to narrow the tree.
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!target.matches("[data-customer-search]")) return;
    var needle = target.value.trim().toLowerCase();
    target.closest(".panel").querySelectorAll("li[data-search]").forEach(function (item) {
      item.hidden = needle !== "" && item.dataset.search.indexOf(needle) === -1;
    });
  });

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.id === "customer-selector" && details.open) {
      var search = details.querySelector("[data-customer-search]");
      if (search) search.focus();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var selector = document.getElementById("customer-selector");
      if (selector && selector.open) selector.open = false;
    }
  });

  // After htmx pushed new filters into the URL, forms must come back to the new address.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.liveNext === undefined) return;
    var next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
  });

  // A sorted column (a header link swapped only the table) must survive the next filter change.
  function syncHiddenFromUrl() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("input[data-from-url]").forEach(function (input) {
      input.value = params.get(input.dataset.fromUrl) || "";
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncHiddenFromUrl);

  document.addEventListener("DOMContentLoaded", refreshSelection);
  document.addEventListener("htmx:afterSettle", refreshSelection);
})();
