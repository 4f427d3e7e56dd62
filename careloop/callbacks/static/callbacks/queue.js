// Queue keyboard navigation: j / k move, Enter opens the task, n claims the next task.
(function () {
  function rows() { return Array.from(document.querySelectorAll("tr.task-row")); }
  function current() { return document.querySelector("tr.task-row.selected"); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (row) { row.classList.add("selected"); row.setAttribute("aria-selected", "true"); row.focus(); }
  }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.ctrlKey || e.metaKey || e.altKey) return;
    var list = rows(), row = current(), i = list.indexOf(row);
    if (e.key === "j") { select(list[Math.min(i + 1, list.length - 1)] || list[0]); e.preventDefault(); }
    else if (e.key === "k") { select(list[Math.max(i - 1, 0)]); e.preventDefault(); }
    else if (e.key === "Enter" && row) { window.location = row.dataset.href; e.preventDefault(); }
    else if (e.key === "n") { var b = document.getElementById("next-task"); if (b) { b.click(); e.preventDefault(); } }
  });
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("tr.task-row");
    if (row && !e.target.closest("a, button, input")) { window.location = row.dataset.href; }
  });
})();
