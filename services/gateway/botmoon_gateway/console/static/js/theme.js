// Applies the stored theme before the page paints (a classic script, so it runs first).
(function () {
  var theme = localStorage.getItem("botmoon.theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
})();
