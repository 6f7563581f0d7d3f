// The upload page in headless Chromium: pick a JPEG, wait for the answer,
// read the class and probability the page shows, compare with POST /predict
// for the same file; then flag the prediction and correct its label, check
// both answers (202) and that the ring holds the two feedback records
// (ringtail --json); save screenshots.
//   node upload_page.mjs BASE_URL IMAGE SCREENSHOT RINGTAIL RING
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [baseUrl, imagePath, screenshotPath, ringtail, ring] = process.argv.slice(2);
if (!baseUrl || !imagePath || !screenshotPath || !ringtail || !ring) {
  console.error("usage: node upload_page.mjs BASE_URL IMAGE SCREENSHOT RINGTAIL RING");
  process.exit(2);
}

// Clicks `button` and waits for the feedback answer the page shows.
async function giveFeedback(page, button) {
  await page.evaluate(() => { delete document.getElementById("feedback-status").dataset.status; });
  await page.click(button);
  await page.waitForFunction(() => document.getElementById("feedback-status").dataset.status,
                             null, { timeout: 30000 });
  const status = await page.getAttribute("#feedback-status", "data-status");
  const text = (await page.textContent("#feedback-status")).trim();
  console.log(`feedback ${button}: ${status} ${text}`);
  return status;
}

// The feedback records now in the ring, as ringtail prints them.
function ringFeedback() {
  const run = spawnSync(ringtail, ["--ring", ring, "--from-start", "--json"],
                        { timeout: 3000, encoding: "utf8" });
  return run.stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
    .filter((r) => r.kind === "feedback");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on("console", (m) => {
    console.log("page console:", m.type(), m.text());
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await page.goto(baseUrl + "/", { waitUntil: "load" });
  const title = await page.title();
  console.log("title:", title);
  await page.setInputFiles("#file", imagePath);
  await page.waitForFunction(() => {
    const s = document.getElementById("status").textContent;
    return s === "done" || s === "error";
  }, null, { timeout: 30000 });
  const status = await page.textContent("#status");
  const shownClass = (await page.textContent("#prediction")).trim();
  const shownProbText = (await page.textContent("#probability")).trim();
  const shownProb = Number(await page.getAttribute("#probability", "data-value"));
  const error = await page.textContent("#error");
  await page.screenshot({ path: screenshotPath, fullPage: true });
  console.log(`page: status=${status} class=${shownClass} probability=${shownProbText} (${shownProb}) error=${error}`);

  const b64 = readFileSync(imagePath).toString("base64");
  const res = await fetch(baseUrl + "/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ image: b64 }),
  });
  const direct = await res.json();
  console.log(`POST /predict: ${res.status} class=${direct.prediction} probability=${direct.probability}`);

  if (consoleErrors.length) { console.error("FAIL: console errors (a missing resource?)"); failed = true; }
  if (status !== "done") { console.error("FAIL: the page did not show a result"); failed = true; }
  if (res.status !== 200) { console.error("FAIL: /predict answered " + res.status); failed = true; }
  if (shownClass !== direct.prediction) { console.error("FAIL: class differs"); failed = true; }
  if (!(Math.abs(shownProb - direct.probability) <= 1e-6)) { console.error("FAIL: probability differs"); failed = true; }
  if (shownProbText !== direct.probability.toFixed(4)) { console.error("FAIL: shown probability text"); failed = true; }

  // Feedback: flag with the preset class (the prediction), then correct it
  // to another class.
  if (!(await page.isVisible("#feedback"))) { console.error("FAIL: no feedback controls"); failed = true; }
  const preset = await page.inputValue("#true-label");
  if (preset !== shownClass) { console.error(`FAIL: select preset ${preset}, not ${shownClass}`); failed = true; }
  if ((await giveFeedback(page, "#flag")) !== "202") { console.error("FAIL: flag not accepted"); failed = true; }
  const options = await page.$$eval("#true-label option", (os) => os.map((o) => o.value));
  const corrected = options.find((o) => o !== shownClass);
  await page.selectOption("#true-label", corrected);
  if ((await giveFeedback(page, "#correct")) !== "202") { console.error("FAIL: correction not accepted"); failed = true; }
  await page.screenshot({ path: screenshotPath.replace(/\.png$/, "-feedback.png"), fullPage: true });
  const records = ringFeedback();
  console.log("ring feedback records:", JSON.stringify(records.map((r) =>
    ({ source: r.feedback_source, class_name: r.class_name, request_id: r.request_id,
       labelled_generation: r.labelled_generation }))));
  const idOnPage = await page.getAttribute("#feedback", "data-request-id");
  const [gen, seq] = idOnPage.split("-").map((h) => BigInt("0x" + h));
  const want = [["flagged", shownClass], ["corrected", corrected]];
  if (records.length !== 2) { console.error("FAIL: want 2 feedback records in the ring"); failed = true; }
  records.forEach((r, i) => {
    if (!want[i] || r.feedback_source !== want[i][0] || r.class_name !== want[i][1] ||
        BigInt(r.request_id) !== seq || BigInt(r.labelled_generation) !== gen) {
      console.error("FAIL: feedback record " + i + " is not", want[i], "for", idOnPage); failed = true;
    }
  });
} catch (e) {
  console.error("FAIL:", e);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
