// Small canvas charts with no library: line charts for training curves and a heat map for the
// confusion matrix. Each canvas records what it drew in data-points (tests and assistive text).

const colours = ["#2458c6", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285"];

function prepare(canvas, heightFor = (width) => Math.round(width * 0.6)) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 480;
  const height = heightFor(width);
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = "12px system-ui, sans-serif";
  return { g, width, height };
}

/** series: [{ name, points: [[x, y], ...] }] */
export function lineChart(canvas, series) {
  const { g, width, height } = prepare(canvas);
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  canvas.dataset.points = String(all.length);
  canvas.setAttribute("aria-label", `${canvas.dataset.title}: ${series.map((s) => `${s.name} ${s.points.length} points${s.points.length ? `, last ${(+s.points.at(-1)[1]).toPrecision(4)}` : ""}`).join("; ") || "no data yet"}`);
  const pad = { left: 52, right: 12, top: 24, bottom: 28 };
  g.strokeStyle = "#c4cad3";
  g.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  if (all.length === 0) {
    g.fillStyle = "#5b6675";
    g.fillText("no data yet", pad.left + 8, pad.top + 18);
    return;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) {
    const spread = Math.abs(y0) * 0.1 || 1;
    y0 -= spread;
    y1 += spread;
  }
  const sx = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y) => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  g.fillStyle = "#5b6675";
  for (const y of [y0, (y0 + y1) / 2, y1]) g.fillText(y.toPrecision(3), 4, sy(y) + 4);
  for (const x of [x0, x1]) g.fillText(String(Math.round(x)), sx(x) - 6, height - 8);
  series.forEach((s, i) => {
    const colour = colours[i % colours.length];
    g.strokeStyle = colour;
    g.fillStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    s.points.forEach(([x, y], k) => (k ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
    g.stroke();
    if (s.points.length === 1) g.fillRect(sx(s.points[0][0]) - 3, sy(s.points[0][1]) - 3, 6, 6);
    g.fillText(s.name, pad.left + 8 + i * 90, 16);
  });
}

/** A confusion matrix: rows are true classes, columns predicted; cells shaded by row share. */
export function heatMap(canvas, labels, matrix) {
  const n = Math.max(labels.length, 1);
  const pad = 90;
  const cellFor = (width) => Math.min((width - pad - 10) / n, 64);
  const { g, width } = prepare(canvas, (w) => Math.round(pad + n * cellFor(w) + 10));
  canvas.dataset.points = String(labels.length * labels.length);
  const cell = cellFor(width);
  matrix.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((value, c) => {
      const share = value / total;
      g.fillStyle = `rgba(36, 88, 198, ${0.08 + share * 0.92})`;
      g.fillRect(pad + c * cell, pad + r * cell, cell - 2, cell - 2);
      g.fillStyle = share > 0.5 ? "#fff" : "#1c2430";
      g.fillText(String(value), pad + c * cell + cell / 2 - 6, pad + r * cell + cell / 2 + 4);
    });
  });
  g.fillStyle = "#1c2430";
  labels.forEach((label, i) => {
    g.fillText(label.slice(0, 12), 4, pad + i * cell + cell / 2 + 4);
    g.save();
    g.translate(pad + i * cell + cell / 2, pad - 6);
    g.rotate(-Math.PI / 4);
    g.fillText(label.slice(0, 12), 0, 0);
    g.restore();
  });
  g.fillStyle = "#5b6675";
  g.fillText("true ↓  predicted →", 4, 16);
  canvas.setAttribute("aria-label", `Confusion matrix, rows true class, columns predicted: ${matrix.map((row, r) => `${labels[r]}: ${row.join(", ")}`).join("; ")}`);
}
