// alphamoe console: the colour switch, confirmations, and the pipeline's progress over server-sent events.
"use strict";
(function () {
  const root = document.documentElement;
  const button = document.getElementById("colours");
  if (button) {
    button.addEventListener("click", function () {
      const western = root.dataset.colours !== "western";
      root.dataset.colours = western ? "western" : "ashare";
      document.cookie = "colours=" + (western ? "western" : "ashare") + "; path=/; max-age=31536000; samesite=strict";
      button.textContent = western ? "western: green up" : "红涨绿跌";
    });
  }
  document.querySelectorAll("form.act").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm || "are you sure?")) { event.preventDefault(); }
    });
  });
  const table = document.getElementById("stages");
  if (!table || !window.EventSource) { return; }
  const live = document.getElementById("live-state");
  const source = new EventSource("/live");
  source.addEventListener("stages", function (event) {
    const message = JSON.parse(event.data);
    let banner = document.getElementById("redis-error");
    if (message.redis_error) {
      if (!banner) {
        banner = document.createElement("p");
        banner.id = "redis-error"; banner.className = "alert"; banner.setAttribute("role", "alert");
        document.querySelector("main").before(banner);
      }
      banner.textContent = "Redis unreachable — " + message.redis_error;
      return;
    }
    if (banner) { banner.remove(); }
    message.stages.forEach(function (stage) {
      const row = table.querySelector('tr[data-stage="' + stage.stage + '"]');
      if (!row) { return; }
      ["length", "done", "lag", "pending"].forEach(function (k) { row.querySelector("." + k).textContent = stage[k]; });
      const state = row.querySelector(".state");
      state.textContent = stage.state; state.className = "state " + stage.state;
    });
    if (live) { live.textContent = "live · " + new Date().toLocaleTimeString(); live.dataset.updated = String(Date.now()); }
  });
  source.onerror = function () { if (live) { live.textContent = "reconnecting…"; } };
})();
