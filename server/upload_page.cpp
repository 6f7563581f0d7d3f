// GET /: the upload page that replaces the Python stack's Flask app. Plain
// HTML and a few lines of JavaScript: pick an image, it is sent base64 to
// POST /predict, the class and probability appear. After a prediction, a
// class select and two buttons post feedback for it to POST /feedback:
// "Flag this prediction" (source flagged) and "Correct label" (source
// corrected), both with the class chosen. Stable element ids (#file,
// #preview, #prediction, #probability, #status, #error, #feedback,
// #true-label, #flag, #correct, #feedback-status) for tests.
#include "server/routes.h"

namespace driftwatch::server {

const char* const kUploadPageHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>driftwatch: classify an image</title>
<link rel="icon" href="data:,">
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; }
  #preview { width: 10rem; max-height: 16rem; object-fit: contain; image-rendering: pixelated; border: 1px solid #ccc; display: none; margin: 1rem 0; }
  #result { font-size: 1.2rem; margin: 1rem 0; }
  #error { color: #b00020; }
  table { border-collapse: collapse; }
  td { padding: 0.1rem 0.8rem 0.1rem 0; }
  .muted { color: #666; font-size: 0.9rem; }
  #feedback { display: none; margin: 1rem 0; padding: 0.6rem 0.8rem; border: 1px solid #ddd; }
  #feedback button { margin-right: 0.4rem; }
</style>
</head>
<body>
<h1>Classify an image</h1>
<p class="muted">Pick a JPEG or PNG; it is sent to <code>POST /predict</code>.</p>
<input type="file" id="file" accept="image/jpeg,image/png">
<div><img id="preview" alt="the chosen image"></div>
<div id="result">
  <div>Prediction: <strong id="prediction">-</strong></div>
  <div>Probability: <strong id="probability">-</strong></div>
</div>
<table id="topk"></table>
<div id="feedback">
  <label>Right class: <select id="true-label"></select></label>
  <button type="button" id="flag">Flag this prediction</button>
  <button type="button" id="correct">Correct label</button>
  <div class="muted">Sent to <code>POST /feedback</code> for this prediction with the class
  chosen: a flag (source <code>flagged</code>) or a correction (source <code>corrected</code>).</div>
  <div id="feedback-status" role="status"></div>
</div>
<p id="error" role="alert"></p>
<p class="muted">Status: <span id="status">idle</span> <span id="model"></span></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let requestId = null;  // the last prediction's, what feedback names
fetch("/model").then((r) => r.ok ? r.json() : null).then((m) => {
  if (!m) return;
  $("model").textContent = "(model " + m.name + " v" + m.version + ")";
  for (const name of m.class_names) $("true-label").add(new Option(name, name));
}).catch(() => {});
async function sendFeedback(source) {
  if (!requestId) return;
  $("feedback-status").textContent = "sending";
  try {
    const res = await fetch("/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ request_id: requestId, label: $("true-label").value, source }),
    });
    const body = await res.json();
    $("feedback-status").dataset.status = String(res.status);
    $("feedback-status").textContent = res.ok
      ? "thanks: " + source + " as " + $("true-label").value + " (" + body.accepted + " accepted)"
      : res.status + " " + body.error + ": " + body.detail;
  } catch (e) {
    $("feedback-status").dataset.status = "error";
    $("feedback-status").textContent = String(e);
  }
}
$("flag").addEventListener("click", () => sendFeedback("flagged"));
$("correct").addEventListener("click", () => sendFeedback("corrected"));
$("file").addEventListener("change", () => {
  const file = $("file").files[0];
  if (!file) return;
  $("status").textContent = "sending";
  $("error").textContent = "";
  $("prediction").textContent = "-";
  $("probability").textContent = "-";
  $("topk").textContent = "";
  $("feedback").style.display = "none";
  $("feedback-status").textContent = "";
  delete $("feedback-status").dataset.status;
  requestId = null;
  const reader = new FileReader();
  reader.onload = async () => {
    const dataUrl = reader.result;
    $("preview").src = dataUrl;
    $("preview").style.display = "block";
    const b64 = dataUrl.substring(dataUrl.indexOf(",") + 1);
    try {
      const res = await fetch("/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ image: b64 }),
      });
      const body = await res.json();
      if (!res.ok) {
        $("error").textContent = res.status + " " + body.error + ": " + body.detail;
        $("status").textContent = "error";
        return;
      }
      $("prediction").textContent = body.prediction;
      $("probability").textContent = body.probability.toFixed(4);
      $("probability").dataset.value = String(body.probability);
      for (const t of body.top_k || []) {
        const row = $("topk").insertRow();
        row.insertCell().textContent = t.class_name;
        row.insertCell().textContent = (100 * t.probability).toFixed(1) + " %";
      }
      requestId = body.request_id;
      $("feedback").dataset.requestId = requestId;
      $("true-label").value = body.prediction;
      $("feedback").style.display = "block";
      $("status").textContent = "done";
    } catch (e) {
      $("error").textContent = String(e);
      $("status").textContent = "error";
    }
  };
  reader.onerror = () => { $("error").textContent = "cannot read the file"; $("status").textContent = "error"; };
  reader.readAsDataURL(file);
});
</script>
</body>
</html>
)HTML";

}  // namespace driftwatch::server
