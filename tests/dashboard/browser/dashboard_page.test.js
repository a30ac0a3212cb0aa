// The dashboard in a real browser: Debian's chromium driven through chromium-driver by
// selenium-webdriver. Real vq-admin serve, real shim runs (the multi-process tests' fake
// vitest); `vq-admin status --json` is the observer of what a click did.
//
//   node dashboard_page.test.js   with VQ_ADMIN, VQ_SHIM, FAKE_VITEST, HISTORY_WRITER and
//                                 ARTIFACT_DIR set
"use strict";
const { Builder, By, logging } = require("selenium-webdriver");
const chrome = require("selenium-webdriver/chrome");
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const admin = process.env.VQ_ADMIN;
const shim = process.env.VQ_SHIM;
const fake = process.env.FAKE_VITEST;
const artifacts = process.env.ARTIFACT_DIR || os.tmpdir();
const historyWriter = process.env.HISTORY_WRITER;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vq-dashboard-"));
const queue = path.join(tmp, "queue");
const tokenFile = path.join(tmp, "token");
// The test's own history database: nothing is read from or made in the real HOME.
const historyDb = path.join(tmp, "history.sqlite");
const children = [];

function fail(message) {
  throw new Error(message);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(what, predicate, deadlineMs) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > until) fail(`${what}: not within ${deadlineMs} ms`);
    await sleep(25);
  }
}

function startServer(port) {
  const server = spawn(admin, ["serve", "--queue-dir", queue, "--listen", `127.0.0.1:${port}`,
                               "--token-file", tokenFile], {
    // The first server makes the queue, seeded with one slot: the second run must wait.
    env: { ...process.env, VQ_MAX_PROCESSES: "1", VQ_HISTORY: historyDb },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(server);
  let out = "";
  return new Promise((resolve, reject) => {
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const match = out.match(/Open: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=[0-9a-f]+)/);
      if (match) resolve({ server, url: match[1], port: Number(match[2]) });
    });
    server.on("exit", (code) => reject(new Error(`vq-admin serve exited ${code}: ${out}`)));
  });
}

function startRun(id) {
  const run = spawn(shim, ["run"], {
    env: { PATH: "/usr/bin:/bin", HOME: tmp, VQ_QUEUE_DIR: queue, VQ_REAL_VITEST: fake,
           VQ_MAX_PROCESSES: "1", FAKE_SLEEP_MS: "60000", FAKE_ID: id,
           FAKE_RECORD: path.join(tmp, "record") },
    stdio: "ignore", detached: true,
  });
  children.push(run);
  return run;
}

function queueStatus() {
  return JSON.parse(execFileSync(admin, ["status", "--json", "--queue-dir", queue]).toString());
}

async function text(driver, selector) {
  const found = await driver.findElements(By.css(selector));
  return found.length ? found[0].getText() : "";
}

async function openBrowser() {
  const options = new chrome.Options()
    .setChromeBinaryPath("/usr/bin/chromium")
    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1200,860");
  const prefs = new logging.Preferences();
  prefs.setLevel(logging.Type.BROWSER, logging.Level.ALL);
  options.setLoggingPrefs(prefs);
  return new Builder().forBrowser("chrome").setChromeOptions(options)
    .setChromeService(new chrome.ServiceBuilder("/usr/bin/chromedriver")).build();
}

async function check(driver) {
  // A few finished runs, as the run watcher records them, for the history tables and charts.
  for (const agent of ["agent-1", "agent-2", "agent-3"]) execFileSync(historyWriter, [historyDb, agent]);
  let { server, url, port } = await startServer(0);
  await driver.get(url);
  await eventually("the page goes live", async () => (await text(driver, "#connection")) === "live", 5000);
  await eventually("the recent runs", async () => (await text(driver, "#history")).includes("agent-2"), 5000);
  const errors = (await driver.manage().logs().get(logging.Type.BROWSER))
    .filter((entry) => entry.level.name === "SEVERE");
  if (errors.length) fail("console errors on load: " + errors.map((e) => e.message).join("; "));
  console.log("ok: page loaded, live, no console errors");

  const started = Date.now();
  const holder = startRun("holder");
  await eventually("the holder's row", async () =>
    (await driver.findElements(By.css(`#active tr[data-pid="${holder.pid}"]`))).length > 0, 1000);
  console.log(`ok: holder row ${Date.now() - started} ms after the run started`);

  const waiter = startRun("waiter");
  const reason = await eventually("the waiter's reason", async () => {
    const row = await text(driver, `#waiters tr[data-pid="${waiter.pid}"]`);
    return row.includes("busy (1/1)") ? row : "";
  }, 5000);
  console.log("ok: waiter row says why: " + reason);

  await driver.findElement(By.css('button[data-control="pause"]')).click();
  await eventually("the page shows paused", async () => (await text(driver, "#paused")) === "paused", 3000);
  if (queueStatus().paused !== true) fail("the page says paused, vq-admin status does not");
  await eventually("the waiter's reason names the pause", async () =>
    (await text(driver, `#waiters tr[data-pid="${waiter.pid}"]`)).includes("paused"), 3000);
  console.log("ok: pause clicked, the page and vq-admin status say paused");
  fs.writeFileSync(path.join(artifacts, "dashboard.png"), await driver.takeScreenshot(), "base64");

  server.kill("SIGKILL");
  await eventually("the page says disconnected", async () =>
    (await text(driver, "#connection")).startsWith("disconnected"), 5000);
  execFileSync(admin, ["resume", "--queue-dir", queue]);
  ({ server } = await startServer(port));
  await eventually("the page catches up", async () =>
    (await text(driver, "#connection")) === "live" && (await text(driver, "#paused")) === "admitting", 10000);
  console.log("ok: disconnected while the server was down, caught up (resumed) when it came back");
}

(async () => {
  const t0 = Date.now();
  let driver;
  let status = 0;
  try {
    driver = await openBrowser();
    await check(driver);
    console.log(`ok: browser test in ${Date.now() - t0} ms; screenshot ${path.join(artifacts, "dashboard.png")}`);
  } catch (error) {
    console.error("FAIL: " + error.message);
    status = 1;
  } finally {
    if (driver) await driver.quit().catch(() => {});
    for (const child of children) {
      try { process.kill(child.pid, "SIGKILL"); } catch {}
    }
    // The runs' watchers may still be writing their history rows and estimates in there; a
    // directory left behind in /tmp is no failure of the page.
    try {
      fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      console.log("note: left " + tmp + " behind (" + error.code + ")");
    }
  }
  process.exit(status);
})();
