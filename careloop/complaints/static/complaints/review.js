// Complaint review charts (Apache ECharts): 人/货/场, category and month, complaints and
// breaches. Clicking a bar opens the ticket list filtered to it, like the numbers in the tables.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("review-charts")?.textContent || "{}");
  if (!window.echarts) return;
  const charts = [];
  for (const [name, d] of Object.entries(data)) {
    const el = document.getElementById(`chart-${name}`);
    if (!el) continue;
    const chart = echarts.init(el);
    chart.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: d.labels, axisLabel: { rotate: d.labels.length > 6 ? 30 : 0, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: el.dataset.total || "投诉", type: "bar", data: d.values, itemStyle: { color: "#1677ff" } },
        { name: el.dataset.breached || "超时", type: "bar", data: d.breached, itemStyle: { color: "#f04438" } },
      ],
    });
    chart.on("click", (p) => { if (d.urls[p.dataIndex]) window.location = d.urls[p.dataIndex]; });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
