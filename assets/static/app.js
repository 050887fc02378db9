// Small enhancements; every action also works without JavaScript.
(function () {
  "use strict";
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
  // Close the user menu when clicking elsewhere or pressing Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.usermenu[open], details.navmenu[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) {
    closeMenus(e.target.closest("details.usermenu, details.navmenu"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") closeMenus(null);
  });
  // Prevent double submission of forms.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.submitted) {
      e.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    setTimeout(function () { delete form.dataset.submitted; }, 4000);
  });
})();
