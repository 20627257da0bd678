"use strict";
// Hides the rows whose severity or status is unchecked. The address's fragment presets the
// boxes, e.g. report.html#severity=critical,high&status=fail, so a filtered view is a link.
(function () {
  var form = document.getElementById("filters");
  var rows = document.querySelectorAll("tr[data-status]");
  function wanted(name) {
    var on = {};
    form.querySelectorAll("input[name=" + name + "]").forEach(function (box) {
      if (box.checked) { on[box.value] = true; }
    });
    return on;
  }
  function apply() {
    var severity = wanted("severity"), status = wanted("status"), shown = 0;
    rows.forEach(function (row) {
      var show = severity[row.dataset.severity] && status[row.dataset.status];
      row.hidden = !show;
      if (show) { shown += 1; }
    });
    document.getElementById("shown").textContent = shown + " of " + rows.length + " controls shown";
    document.body.dataset.shown = String(shown);
  }
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var kv = pair.split("=");
    if (kv.length !== 2 || (kv[0] !== "severity" && kv[0] !== "status")) { return; }
    var values = decodeURIComponent(kv[1]).split(",");
    form.querySelectorAll("input[name=" + kv[0] + "]").forEach(function (box) {
      box.checked = values.indexOf(box.value) !== -1;
    });
  });
  form.addEventListener("change", apply);
  apply();
})();
