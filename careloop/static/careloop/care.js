// Care pages: the plan chart (tasks by purpose, stacked by priority) and the task list's
// "select all" with a live count of the selected tasks.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("plan-chart")?.textContent || "{}");
  const el = document.getElementById("chart-plan");
  if (el && data.series && window.echarts) {
    const chart = echarts.init(el);
    const colors = ["#f04438", "#f79009", "#12b76a"];  // high, medium, low
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 50 },
      xAxis: { type: "category", data: data.purposes, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map((s, i) => ({
        name: s.name, type: "bar", stack: "priority", data: s.data, barMaxWidth: 48,
        itemStyle: { color: colors[i % colors.length] },
      })),
    });
    window.addEventListener("resize", () => chart.resize());
  }

  const form = document.getElementById("reassign-form");
  const all = document.getElementById("select-all");
  const counter = document.getElementById("selected-count");
  if (!form || !all) return;
  const boxes = () => form.querySelectorAll('input[name="tasks"]');
  const update = () => {
    const n = [...boxes()].filter((b) => b.checked).length;
    counter.textContent = counter.dataset.template.replace("N", n);
  };
  all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); update(); });
  form.addEventListener("change", (e) => { if (e.target.name === "tasks") update(); });
});
