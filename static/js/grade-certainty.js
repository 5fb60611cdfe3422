// Show the GRADE certainty as the reviewer rates the domains, before saving. The server stays
// authoritative: it computes the saved value again (claims/grading.py, compute_certainty).
"use strict";

// The rule, in one place: start by the evidence base, add every domain's rating, clamp to
// very low (1) .. high (4). Keep it in step with grading.compute_certainty.
function certaintyLevel(startLevel, ratings) {
  if (startLevel === undefined) {
    return null;
  }
  const total = ratings.reduce((sum, value) => sum + value, startLevel);
  return Math.max(1, Math.min(4, total));
}

function showCertainty(output) {
  const form = output.closest(".inline-related");
  const field = (name) => form.querySelector('[name$="-' + name + '"]');
  const base = field("evidence_base");
  if (!base) {
    return;
  }
  const domains = JSON.parse(output.dataset.down).concat(JSON.parse(output.dataset.up));
  const ratings = domains.map((name) => Number((field(name) || {}).value) || 0);
  const level = certaintyLevel(JSON.parse(output.dataset.start)[base.value], ratings);
  output.textContent =
    level === null ? "—" : JSON.parse(output.dataset.grades)[level] + " (not saved yet)";
}

// One listener for the assessment and any form added later (the admin clones a template).
document.addEventListener("change", function (event) {
  const form = event.target.closest(".inline-related");
  const output = form && form.querySelector("output.live-certainty");
  if (output) {
    showCertainty(output);
  }
});
