// Take a claim by selecting text on a source's admin page. The text's element holds the
// source's characters exactly (the quotes are <mark>s around them), so a selection's place
// is the length of the text before it. JavaScript counts UTF-16 code units; the server
// converts them to characters and refuses a selection that splits a character or runs past
// the text's end, so this script only reports the selection, it decides nothing.
"use strict";

// Loaded in the page's head (the admin's form media): wait for the body.
document.addEventListener("DOMContentLoaded", function () {
  const text = document.getElementById("source-text");
  const link = document.getElementById("take-claim-link");
  const status = document.getElementById("take-claim-status");
  if (!text || !link) {
    return;
  }

  function selectionOffsets() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    const range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer)) {
      return null;
    }
    const before = document.createRange();
    before.selectNodeContents(text);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    // A selection that runs on past the text keeps its full length: the server refuses it.
    return { start: start, end: start + range.toString().length };
  }

  function update() {
    const offsets = selectionOffsets();
    if (offsets === null) {
      link.hidden = true;
      return;
    }
    const query = new URLSearchParams({
      start: String(offsets.start),
      end: String(offsets.end),
      unit: "utf16",
    });
    link.href = link.dataset.url + "?" + query.toString();
    link.hidden = false;
    status.textContent = "Selected " + (offsets.end - offsets.start) + " characters.";
  }

  document.addEventListener("selectionchange", update);
});
