// Ask before a form with data-confirm is sent (revoking a token cannot be undone);
// without JavaScript the form is sent as it is.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
});
