// Show the print buttons of a page (hidden without JavaScript) and print on click.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
