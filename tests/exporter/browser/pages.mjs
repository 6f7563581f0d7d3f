// drift-exporter's pages in headless Chromium, against a live exporter fed by
// page-writer: each page loads with no console error and no failed request
// and weighs under 100 KB; on /drift the drawn points grow as steps are
// added, the marked points are exactly the steps /drift JSON calls drift
// (none but those on a stationary stream), and the threshold line lies where
// the JSON puts it; /feedback draws the confusion matrix and reliability
// diagram of the labels page-writer sent. Screenshots go to OUT_DIR.
//   node pages.mjs BASE_URL PAGE_WRITER RING DIM OUT_DIR
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const [baseUrl, writerBin, ringPath, dim, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: node pages.mjs BASE_URL PAGE_WRITER RING DIM OUT_DIR");
  process.exit(2);
}
const kMaxPageBytes = 100 * 1024;
let failures = 0;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures++;
}

// page-writer: one command per line, "ok" after each.
const writer = spawn(writerBin, ["stream", ringPath, dim], { stdio: ["pipe", "pipe", "inherit"] });
const waiting = [];
createInterface({ input: writer.stdout }).on("line", (l) => waiting.shift()?.(l));
function write(command) {
  return new Promise((resolve, reject) => {
    waiting.push((l) => (l === "ok" ? resolve() : reject(new Error(command + ": " + l))));
    writer.stdin.write(command + "\n");
  });
}
async function json(path) {
  const res = await fetch(baseUrl + path, { headers: { Accept: "application/json" } });
  return res.json();
}
async function until(condition, what, ms = 60000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out waiting for " + what);
}
async function stepsReach(t) {
  await until(async () => (await json("/drift")).t >= t, "detector step " + t);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// A page with every console error, page error, failed request and HTTP error recorded.
async function open(path, viewport) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push("failed request: " + r.url() + " " + r.failure()?.errorText));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(baseUrl + path, { waitUntil: "load" });
  return { page, problems };
}
// Bytes transferred for the document, its script and the data fetched so far.
function transferred(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const seen = new Set();
    let total = nav.transferSize;
    for (const r of performance.getEntriesByType("resource")) {
      const key = new URL(r.name).pathname;  // the first fetch of each resource
      if (seen.has(key)) continue;
      seen.add(key);
      total += r.transferSize;
    }
    return total;
  });
}

// What the drift figure shows, read from its SVG.
function figure(page) {
  return page.evaluate(() => {
    const svg = document.getElementById("drift-svg");
    const ds = svg.dataset;
    const coords = (d) => d.split(/[ML]/).filter(Boolean).map((p) => p.split(",").map(Number));
    const th = coords(document.getElementById("threshold-line").getAttribute("d"));
    return {
      steps: +ds.steps, drawn: +ds.drawn, marked: +ds.marked,
      y0: +ds.y0, y1: +ds.y1, top: +ds.top, bottom: +ds.bottom, left: +ds.left, right: +ds.right,
      drift: [...svg.querySelectorAll("circle.drift")].map((c) => ({ t: +c.dataset.t, n: +c.dataset.n })),
      plain: svg.querySelectorAll("circle.pt").length,
      thresholdFirstY: th.length ? th[0][1] : NaN, thresholdLastY: th.length ? th[th.length - 1][1] : NaN,
      thresholdAttr: +document.getElementById("threshold-line").dataset.threshold,
    };
  });
}
async function figureAt(page, steps) {
  await page.waitForFunction((n) => +document.getElementById("drift-svg")?.dataset.steps >= n,
                              steps, { timeout: 30000 });
  return figure(page);
}
// The figure against /drift JSON (the writer is idle, so both hold the same steps).
async function compare(page, label) {
  const doc = await json("/drift");
  const f = await figureAt(page, doc.steps.length);
  const driftTs = doc.steps.filter((s) => s.is_drift).map((s) => s.t);
  check(f.steps === doc.steps.length, `${label}: the page holds the ${doc.steps.length} steps of /drift (${f.steps})`);
  check(f.marked === driftTs.length, `${label}: marked steps ${f.marked} = drift steps in /drift JSON ${driftTs.length}`);
  check(f.drawn === f.drift.length + f.plain, `${label}: one dot per drawn column`);
  const pixels = Math.floor(f.right - f.left);
  if (doc.steps.length <= pixels) {
    check(f.drawn === doc.steps.length, `${label}: one point per step (${f.drawn})`);
    const shown = f.drift.map((d) => d.t).sort((a, b) => a - b).join(",");
    check(shown === driftTs.join(","), `${label}: the marked steps are the JSON's drift steps`);
  } else {
    check(f.drawn <= pixels, `${label}: down-sampled to ${f.drawn} columns for ${pixels} px`);
  }
  const y = (v) => f.bottom - ((v - f.y0) / (f.y1 - f.y0)) * (f.bottom - f.top);
  const first = doc.steps[0].threshold, last = doc.steps[doc.steps.length - 1].threshold;
  check(Math.abs(f.thresholdLastY - y(last)) <= 0.6,
        `${label}: threshold line ends at y=${f.thresholdLastY} where the JSON's ${last} lies (${y(last).toFixed(1)})`);
  check(Math.abs(f.thresholdFirstY - y(first)) <= 0.6,
        `${label}: threshold line starts at the first step's threshold ${first}`);
  check(f.thresholdAttr === last, `${label}: threshold line labelled ${f.thresholdAttr}`);
  return { f, doc, driftTs };
}

try {
  await until(async () => {
    const h = await json("/healthz");
    return h.ring_attached && h.drift === "ready";
  }, "the exporter to attach and calibrate");

  // A stationary stream: marked points only where the JSON says drift.
  await write("steady 150");
  await stepsReach(150);
  const wide = { width: 1280, height: 860 };
  const drift = await open("/drift?format=html", wide);
  const a = await compare(drift.page, "stationary");
  check(a.driftTs.length <= 3, `stationary: few drift steps (${a.driftTs.length}) in 150 steps`);
  check(await transferred(drift.page) < kMaxPageBytes,
        `/drift page: ${await transferred(drift.page)} bytes transferred (< 100 KB)`);

  // Points grow while the writer adds steps.
  await write("steady 100");
  await stepsReach(250);
  const b = await compare(drift.page, "more steps");
  check(b.f.drawn > a.f.drawn, `drawn points grew from ${a.f.drawn} to ${b.f.drawn}`);

  // A shift: drift steps, every one of them marked.
  await write("shift 120");
  await stepsReach(370);
  const c = await compare(drift.page, "shifted");
  check(c.driftTs.length >= 60, `shifted: the detector fired (${c.driftTs.length} of 120 steps)`);
  // The sustained-drift layer: an open episode, shaded from its start step.
  const sus = c.doc.sustained;
  check(sus && sus.active && sus.recent_episodes.length >= 1, "shifted: /drift JSON has an active episode");
  const episode = await drift.page.evaluate(() => {
    const r = document.querySelector("#drift-svg rect.episode");
    return r && { x: +r.getAttribute("x"), facts: document.getElementById("facts").textContent };
  });
  const start = sus.recent_episodes[sus.recent_episodes.length - 1].start_step;
  const xOf = (t) => c.f.left + ((t - c.doc.steps[0].t) / (c.doc.steps.at(-1).t - c.doc.steps[0].t)) * (c.f.right - c.f.left);
  check(episode && Math.abs(episode.x - xOf(start)) <= 1,
        `shifted: the episode is shaded from step ${start} (x=${episode && episode.x}, expected ${xOf(start).toFixed(1)})`);
  check(episode && episode.facts.includes("sustained drift: ACTIVE"), "shifted: the page says sustained drift is active");
  await drift.page.screenshot({ path: `${outDir}/exporter_drift.png`, fullPage: true });
  await drift.page.setViewportSize({ width: 390, height: 844 });
  await drift.page.waitForFunction(() => +document.getElementById("drift-svg").getAttribute("width") < 400);
  await compare(drift.page, "phone width");
  const driftWidth = await drift.page.evaluate(() => document.documentElement.scrollWidth);
  check(driftWidth <= 390, `/drift fits a 390 px phone (scroll width ${driftWidth})`);
  await drift.page.screenshot({ path: `${outDir}/exporter_drift_phone.png`, fullPage: true });
  check(drift.problems.length === 0, "/drift page: no console errors or failed requests " + JSON.stringify(drift.problems));

  // Errors for the predictions page.
  await write("fail 30");
  await until(async () => (await json("/healthz")).records_read >= 400, "400 records read");

  const overview = await open("/", wide);
  await overview.page.waitForFunction((ring) => document.getElementById("ring").textContent.includes(ring), ringPath);
  const text = await overview.page.textContent("body");
  check(text.includes("fashion_cnn") && text.includes("Ankle boot"), "/ shows the model and its classes");
  check(/stateready/.test(text.replace(/\s/g, "")), "/ shows the detector ready");
  const links = await overview.page.$$eval("#links a", (as) => as.map((x) => x.getAttribute("href")));
  for (const href of ["/drift?format=html", "/predictions", "/feedback?format=html", "/metrics", "/healthz",
                      "/drift"]) {
    check(links.includes(href), "/ links to " + href);
  }
  check(await transferred(overview.page) < kMaxPageBytes, `/ page: ${await transferred(overview.page)} bytes transferred`);
  await overview.page.screenshot({ path: `${outDir}/exporter_overview.png`, fullPage: true });
  check(overview.problems.length === 0, "/ page: no console errors or failed requests " + JSON.stringify(overview.problems));

  const predictions = await open("/predictions", wide);
  await predictions.page.waitForSelector("#hour-facts");
  const doc = await json("/predictions?format=json");
  check(doc.hour.requests === 400 && doc.hour.errors === 30 && doc.hour.predictions === 370,
        `/predictions JSON: 400 requests, 30 errors, 370 predictions in the hour (${doc.hour.requests}, ${doc.hour.errors}, ${doc.hour.predictions})`);
  const facts = await predictions.page.textContent("#hour-facts");
  check(facts.includes("requests: 400") && facts.includes("error share: 7.5 %"),
        "/predictions page shows the hour's 400 requests and 7.5 % errors: " + facts);
  const charts = await predictions.page.$$eval("#windows svg[role=img]", (s) => s.length);
  check(charts === 10, `/predictions draws 10 charts (${charts})`);
  const bars = await predictions.page.$$eval("#hour-classes rect.bar", (r) => r.length);
  check(bars === 10, `hour class mix: one bar per class (${bars})`);
  check(await transferred(predictions.page) < kMaxPageBytes,
        `/predictions page: ${await transferred(predictions.page)} bytes transferred`);
  await predictions.page.screenshot({ path: `${outDir}/exporter_predictions.png`, fullPage: true });
  await predictions.page.setViewportSize({ width: 390, height: 844 });
  await predictions.page.waitForFunction(
    () => +document.querySelector("#hour-classes svg").getAttribute("width") < 400);
  const overflow = await predictions.page.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 390, `/predictions fits a 390 px phone (scroll width ${overflow})`);
  await predictions.page.screenshot({ path: `${outDir}/exporter_predictions_phone.png`, fullPage: false });
  check(predictions.problems.length === 0,
        "/predictions page: no console errors or failed requests " + JSON.stringify(predictions.problems));

  // Labels for the first 100 (successful) requests: 80 right; 10 flagged, all wrong.
  await write("label 100");
  await until(async () => (await json("/feedback")).labels.received >= 110, "110 labels");
  const fb = await json("/feedback");
  check(fb.labels.joined === 110 && fb.labels.unmatched.unknown === 0,
        `/feedback: 110 labels joined (${fb.labels.joined}), none unknown`);
  const random = fb.sources.find((s) => s.source === "random");
  check(random.labels === 100 && random.correct === 80, `/feedback: random 80 of 100 right (${random.correct})`);
  const feedback = await open("/feedback?format=html", wide);
  await feedback.page.waitForSelector("#confusion-table");
  const matrix = await feedback.page.evaluate(() => {
    const rows = [...document.querySelectorAll("#confusion-table tr")].slice(1);
    const cells = rows.map((r) => [...r.querySelectorAll("td")].map((c) => +c.textContent || 0));
    let total = 0, diagonal = 0;
    cells.forEach((row, i) => row.forEach((v, j) => { total += v; if (i === j) diagonal += v; }));
    return { rows: rows.length, columns: cells[0]?.length, total, diagonal };
  });
  check(matrix.rows === 10 && matrix.columns === 10, `/feedback page: a 10 x 10 confusion matrix (${matrix.rows} x ${matrix.columns})`);
  check(matrix.total === 100 && matrix.diagonal === 80,
        `/feedback page: random matrix holds 100 labels, 80 on the diagonal (${matrix.total}, ${matrix.diagonal})`);
  const randomRow = await feedback.page.textContent("#source-random");
  check(randomRow.includes("80.0 %"), "/feedback page: random accuracy 80.0 % with its interval: " + randomRow);
  const bins = random.reliability.filter((b) => b.labels > 0).length;
  const dots = await feedback.page.$$eval("#reliability svg circle", (c) => c.length);
  check(dots === bins + 2, `/feedback page: reliability diagram has a point per non-empty bin (${dots - 2} of ${bins})`);
  await feedback.page.selectOption("#source", "flagged");
  await feedback.page.waitForFunction(() => {
    const t = document.querySelectorAll("#confusion-table td.diag");
    return t.length && [...t].every((c) => !c.textContent);
  });
  check(true, "/feedback page: the flagged matrix has an empty diagonal (all flagged were wrong)");
  await feedback.page.selectOption("#source", "random");
  check(await transferred(feedback.page) < kMaxPageBytes,
        `/feedback page: ${await transferred(feedback.page)} bytes transferred`);
  await feedback.page.screenshot({ path: `${outDir}/exporter_feedback.png`, fullPage: true });
  await feedback.page.setViewportSize({ width: 390, height: 844 });
  await feedback.page.waitForFunction(() => +document.querySelector("#reliability svg").getAttribute("width") < 400);
  check(feedback.problems.length === 0,
        "/feedback page: no console errors or failed requests " + JSON.stringify(feedback.problems));
} catch (e) {
  console.error("FAIL:", e);
  failures++;
} finally {
  await browser.close();
  writer.stdin.end();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
