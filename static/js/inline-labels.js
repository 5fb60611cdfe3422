// Name the cited-work search boxes of the evidence table. Select2 draws its own combobox,
// labelled by the box that shows the choice, which is empty on a new row: screen readers
// (and axe) then find a field without a name. Runs for rows added later, too.
"use strict";

// Loaded in the page's head (the admin's form media): wait for the body.
document.addEventListener("DOMContentLoaded", function () {
  const group = document.getElementById("evidence-group");
  if (!group) {
    return;
  }

  function label() {
    group.querySelectorAll(".select2-selection[role=combobox]").forEach((box) => {
      box.removeAttribute("aria-labelledby");
      box.setAttribute("aria-label", "Cited work");
    });
    group.querySelectorAll(".select2-selection__rendered").forEach((shown) => {
      shown.setAttribute("aria-label", "Chosen cited work");
    });
  }

  new MutationObserver(label).observe(group, { childList: true, subtree: true });
  label();
});
