// The phone menu: at narrow widths the navigation folds behind the "Menu" button
// (static/css/app.css); without JavaScript, css/nav-noscript.css keeps every link shown.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".nav-toggle");
  if (!toggle) return;
  const nav = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = nav.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});
