/* A bulk job's progress page (templates/bulk/show.html): while the job is live, ask for
 * its figures (the JSON of /jobs/<id>.json) and put them in the page, so the bar and the
 * counts move without a reload. The server words every figure (``text``), so this script
 * holds no sentence of its own. Without it the page reloads itself (<noscript> refresh).
 *
 * Elements with ``data-figure="name"`` get ``text[name]`` (hidden when it is empty, with
 * ``data-hide-empty``); elements with ``data-when="state ..."`` are shown only in those
 * states (the pause, resume and cancel buttons, the report's link).
 */

const FINAL = new Set(["done", "cancelled"]);

/** Put one answer's figures in the page. */
export function show(root, figures) {
  root.dataset.state = figures.state;
  const bar = root.querySelector("#progress");
  if (bar) {
    bar.value = figures.percent;
    bar.textContent = `${figures.percent} %`;
  }
  for (const node of root.querySelectorAll("[data-figure]")) {
    const text = figures.text[node.dataset.figure];
    if (text === undefined) {
      continue;
    }
    node.textContent = text;
    if (node.dataset.hideEmpty !== undefined) {
      node.hidden = !text;
    }
  }
  for (const node of root.querySelectorAll("[data-when]")) {
    node.hidden = !node.dataset.when.split(" ").includes(figures.state);
  }
}

/** Ask every ``every`` ms until the job has ended (a failed answer is asked again). */
function poll(root, url, every) {
  let timer = null;
  const ask = async () => {
    let ended = false;
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (answer.ok) {
        const figures = await answer.json();
        show(root, figures);
        ended = FINAL.has(figures.state);
      }
    } catch {
      // the network or the server is away for a moment: ask again
    }
    if (!ended) {
      timer = setTimeout(ask, every);
    }
  };
  timer = setTimeout(ask, every);
  return () => clearTimeout(timer);
}

function start() {
  const root = document.getElementById("job");
  if (!root || FINAL.has(root.dataset.state)) {
    return;
  }
  poll(root, root.dataset.url, Number(root.dataset.poll) || 1000);
}

if (typeof document !== "undefined") {
  start();
}
