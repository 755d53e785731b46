// Summaries and the printed table of bench/run.mjs.

/** { n, median, min, max, mean } of a list of numbers (null when empty). */
export function summarize(xs) {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { n: v.length, median: round(median), min: round(v[0]), max: round(v[v.length - 1]), mean: round(mean) };
}

export function round(x, digits = 3) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(x) {
  if (x === null || x === undefined) return "—";
  if (typeof x === "string") return x;
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  return x.toFixed(2);
}

function ratio(a, b) {
  if (!a || !b || !b.median) return null;
  return a.median / b.median;
}

/** Adds `vsRunc` and `vsCrun` (median ratios) to every runtime's summary of a measure. */
export function addRatios(byRuntime) {
  for (const s of Object.values(byRuntime)) {
    if (!s || typeof s !== "object" || s.median === undefined) continue;
    const r1 = ratio(s, byRuntime.runc);
    const r2 = ratio(s, byRuntime.crun);
    s.vsRunc = r1 === null ? null : round(r1, 2);
    s.vsCrun = r2 === null ? null : round(r2, 2);
  }
}

/** Renders the measures as an aligned text table (also valid Markdown). */
export function table(measures, runtimes) {
  const rows = [["measure", "runtime", "median", "min", "max", "×runc", "×crun"]];
  for (const m of Object.values(measures)) {
    for (const rt of runtimes) {
      const s = m.runtimes[rt];
      if (s === undefined) continue;
      const label = `${m.label} (${m.unit})`;
      if (typeof s === "string") {
        rows.push([label, rt, s, "", "", "", ""]);
        continue;
      }
      rows.push([label, rt, fmt(s.median), fmt(s.min), fmt(s.max), s.vsRunc == null ? "—" : s.vsRunc.toFixed(2), s.vsCrun == null ? "—" : s.vsCrun.toFixed(2)]);
    }
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => "| " + r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | ") + " |";
  const out = [line(rows[0]), "|" + w.map((n, i) => (i < 2 ? "-".repeat(n + 2) : "-".repeat(n + 1) + ":")).join("|") + "|"];
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join("\n");
}
