// Show the GRADE certainty as the reviewer rates the domains, before saving. The server stays
// authoritative: it computes the saved value again (claims/grading.py, compute_certainty).
"use strict";

// The rule, in one place: start by the evidence base, add every domain's rating, clamp to
// very low (1) .. high (4); rating up only evidence that started low (2) with nothing rated
// down (NaN: refused). Keep it in step with grading.assess.
function certaintyLevel(startLevel, down, up) {
  if (startLevel === undefined) {
    return null;
  }
  const sum = (values) => values.reduce((total, value) => total + value, 0);
  if (sum(up) > 0 && (startLevel !== 2 || down.some((value) => value !== 0))) {
    return NaN;
  }
  return Math.max(1, Math.min(4, startLevel + sum(down) + sum(up)));
}

function showCertainty(output) {
  const form = output.closest(".inline-related");
  const field = (name) => form.querySelector('[name$="-' + name + '"]');
  const base = field("evidence_base");
  if (!base) {
    return;
  }
  const ratings = (names) => JSON.parse(names).map((name) => Number((field(name) || {}).value) || 0);
  const level = certaintyLevel(
    JSON.parse(output.dataset.start)[base.value],
    ratings(output.dataset.down),
    ratings(output.dataset.up),
  );
  if (Number.isNaN(level)) {
    output.textContent = output.dataset.rule;
  } else {
    output.textContent =
      level === null ? "—" : JSON.parse(output.dataset.grades)[level] + " (not saved yet)";
  }
}

// One listener for the assessment and any form added later (the admin clones a template).
document.addEventListener("change", function (event) {
  const form = event.target.closest(".inline-related");
  const output = form && form.querySelector("output.live-certainty");
  if (output) {
    showCertainty(output);
  }
});
