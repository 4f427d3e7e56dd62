// Segments page charts (Apache ECharts): counts per stage/tier/class and the R × F heat map.
// Clicking a bar opens the customer list filtered to it, like the numbers in the tables.
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("segment-charts")?.textContent || "{}");
  if (!data.groups || !window.echarts) return;

  const groups = echarts.init(document.getElementById("chart-groups"));
  const labels = [], values = [], urls = [], colors = ["#1677ff", "#12b76a", "#9e77ed"];
  data.groups.forEach((g, gi) => g.labels.forEach((label, i) => {
    labels.push(label);  // the colour says which group (stage, tier, class)
    values.push({ value: g.values[i], itemStyle: { color: colors[gi % colors.length] } });
    urls.push(g.urls[i]);
  }));
  groups.setOption({
    grid: { left: 40, right: 10, top: 20, bottom: 90 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: labels, axisLabel: { rotate: 45, interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: values }],
  });
  groups.on("click", (p) => { if (urls[p.dataIndex]) window.location = urls[p.dataIndex]; });

  const rfm = echarts.init(document.getElementById("chart-rfm"));
  const max = Math.max(1, ...data.rfm.map((c) => c[2]));
  rfm.setOption({
    title: { text: data.rfm_title, textStyle: { fontSize: 12, fontWeight: "normal" } },
    tooltip: { formatter: (p) => `R ${p.value[0] + 1} · F ${p.value[1] + 1}: ${p.value[2]}` },
    grid: { left: 40, right: 10, top: 40, bottom: 50 },
    xAxis: { type: "category", data: [1, 2, 3, 4, 5], name: "R" },
    yAxis: { type: "category", data: [1, 2, 3, 4, 5], name: "F" },
    visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0,
                 itemHeight: 80, inRange: { color: ["#e6f4ff", "#1677ff"] } },
    series: [{ type: "heatmap", data: data.rfm.map(([r, f, n]) => [r - 1, f - 1, n]),
               label: { show: true } }],
  });
  window.addEventListener("resize", () => { groups.resize(); rfm.resize(); });
});
