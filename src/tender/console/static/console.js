// Tender's operations console: polls /console/api/overview and draws the seed's dashboards.
// Vanilla JS plus the vendored Chart.js; the session is an HttpOnly cookie, so no token here.
(function () {
  "use strict";

  var REFRESH_MS = 10000;
  var charts = {};
  var pendingSwitch = null;
  var COLORS = ["#3b5bdb", "#2b8a3e", "#e67700", "#c92a2a", "#7048e8", "#1098ad", "#d6336c", "#5c940d"];

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) {
      var td = document.createElement("td");
      if (cell instanceof Node) { td.appendChild(cell); } else { td.textContent = cell; }
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(tbody, rows) {
    tbody.textContent = "";
    rows.forEach(function (r) { tbody.appendChild(row(r)); });
  }
  // A switch name that may wrap after "_" or ":" rather than mid-word.
  function breakable(name) {
    var span = el("span");
    name.split(/([_:])/).forEach(function (part) {
      span.appendChild(document.createTextNode(part));
      if (part === "_" || part === ":") { span.appendChild(document.createElement("wbr")); }
    });
    return span;
  }
  function badge(text, cls) { return el("span", text, "badge " + (cls || "")); }

  function money(amount, currency) {
    try {
      var fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() });
      return fmt.format(amount / Math.pow(10, fmt.resolvedOptions().maximumFractionDigits));
    } catch (e) { return amount + " " + currency; }
  }
  function pct(v) { return v === null || v === undefined ? "no data" : (v * 100).toFixed(2) + "%"; }
  function ms(v) { return v === null || v === undefined ? "no data" : (v / 1000).toFixed(2) + " s"; }
  function ago(seconds) {
    if (seconds === null || seconds === undefined) { return "never"; }
    if (seconds < 90) { return Math.round(seconds) + " s ago"; }
    if (seconds < 5400) { return Math.round(seconds / 60) + " min ago"; }
    return Math.round(seconds / 3600) + " h ago";
  }
  function hourLabel(iso) { return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }); }

  function api(path, method, body) {
    var options = { method: method || "GET", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/console/api" + path, options).then(function (resp) {
      return resp.text().then(function (raw) {
        var data = {};
        try { data = raw ? JSON.parse(raw) : {}; } catch (e) { data = {}; }
        return { status: resp.status, body: data };
      });
    }, function () { return { status: 0, body: {} }; });
  }

  // ----- charts ------------------------------------------------------------------------------
  function chart(id, config) {
    if (!window.Chart) { return; }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update();
      return;
    }
    charts[id] = new window.Chart($(id), config);
  }

  function last24Hours(hourly) {
    var byHour = {};
    hourly.forEach(function (h) { byHour[new Date(h.hour).getTime()] = h; });
    var now = new Date();
    now.setMinutes(0, 0, 0);
    var out = [];
    for (var i = 23; i >= 0; i--) {
      var t = now.getTime() - i * 3600 * 1000;
      out.push(byHour[t] || { hour: new Date(t).toISOString(), payments: 0, succeeded: 0, failed: 0 });
    }
    return out;
  }

  function drawVolume(hourly) {
    var hours = last24Hours(hourly);
    chart("volume-chart", {
      data: {
        labels: hours.map(function (h) { return hourLabel(h.hour); }),
        datasets: [
          { type: "bar", label: "Succeeded", data: hours.map(function (h) { return h.succeeded; }),
            backgroundColor: "#2b8a3e", stack: "p", yAxisID: "y" },
          { type: "bar", label: "Failed", data: hours.map(function (h) { return h.failed; }),
            backgroundColor: "#c92a2a", stack: "p", yAxisID: "y" },
          { type: "bar", label: "Other", stack: "p", yAxisID: "y", backgroundColor: "#adb5bd",
            data: hours.map(function (h) { return h.payments - h.succeeded - h.failed; }) },
          { type: "line", label: "Success rate %", yAxisID: "rate", borderColor: "#3b5bdb",
            backgroundColor: "#3b5bdb", spanGaps: true, tension: 0.2,
            data: hours.map(function (h) {
              var decided = h.succeeded + h.failed;
              return decided ? Math.round(1000 * h.succeeded / decided) / 10 : null;
            }) }
        ]
      },
      options: {
        scales: {
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 },
               title: { display: true, text: "payments" } },
          rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                  title: { display: true, text: "success %" } },
          x: { stacked: true }
        }
      }
    });
  }

  function drawMethods(methods) {
    chart("methods-chart", {
      type: "doughnut",
      data: {
        labels: methods.map(function (m) { return m.method_type; }),
        datasets: [{ data: methods.map(function (m) { return m.payments; }), backgroundColor: COLORS }]
      },
      options: { plugins: { legend: { position: "right" } } }
    });
    var total = methods.reduce(function (s, m) { return s + m.payments; }, 0);
    fill($("methods-table").tBodies[0], methods.map(function (m) {
      return [m.method_type, String(m.payments), total ? (100 * m.payments / total).toFixed(1) + "%" : ""];
    }));
  }

  function drawErrors(rows) {
    $("errors-empty").hidden = rows.length > 0;
    $("errors-chart").parentNode.hidden = rows.length === 0;
    var codes = [];
    rows.forEach(function (r) { if (codes.indexOf(r.error_code) < 0) { codes.push(r.error_code); } });
    var hours = last24Hours([]);
    chart("errors-chart", {
      type: "bar",
      data: {
        labels: hours.map(function (h) { return hourLabel(h.hour); }),
        datasets: codes.map(function (code, i) {
          return {
            label: code, backgroundColor: COLORS[i % COLORS.length], stack: "e",
            data: hours.map(function (h) {
              var t = new Date(h.hour).getTime();
              var hit = rows.filter(function (r) { return r.error_code === code && new Date(r.hour).getTime() === t; });
              return hit.length ? hit[0].error_count : 0;
            })
          };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  // ----- panels ------------------------------------------------------------------------------
  function drawCriteria(criteria) {
    var box = $("criteria");
    box.textContent = "";
    criteria.forEach(function (c) {
      var tile = el("div", null, "tile " + (c.met === true ? "met" : c.met === false ? "missed" : ""));
      tile.setAttribute("data-criterion", c.key);
      var fmt = c.key === "avg_response_ms" ? ms : pct;
      tile.appendChild(el("p", c.label, "basis"));
      tile.appendChild(el("p", fmt(c.value), "value"));
      tile.appendChild(el("p", "target " + (c.op === ">=" ? "≥ " : "< ") + fmt(c.target) +
        (c.met === true ? " · met" : c.met === false ? " · missed" : ""), "target"));
      tile.appendChild(el("p", c.basis, "basis"));
      box.appendChild(tile);
    });
  }

  function drawAlerts(alerts) {
    var list = $("alerts");
    list.textContent = "";
    var firing = alerts.filter(function (a) { return a.firing; });
    firing.forEach(function (a) {
      var li = el("li");
      li.appendChild(badge(a.severity, a.severity));
      li.appendChild(el("span", a.alert + ": " + a.summary));
      list.appendChild(li);
    });
    var quiet = el("li", firing.length ? (alerts.length - firing.length) + " other rules quiet" :
      "No alert firing (" + alerts.length + " rules evaluated)", "quiet");
    list.appendChild(quiet);
  }

  function drawSwitches(switches) {
    var tbody = $("switches").tBodies[0];
    tbody.textContent = "";
    switches.forEach(function (s) {
      // maintenance is "on" when enabled; the others are healthy when enabled
      var maintenance = s.name === "payment_maintenance";
      var healthy = maintenance ? !s.enabled : s.enabled;
      var state = badge(s.enabled ? "on" : "off", healthy ? "ok" : "bad");
      var button = el("button", s.enabled ? "Turn off" : "Turn on", s.enabled ? "off" : "");
      button.type = "button";
      button.setAttribute("aria-label", (s.enabled ? "Turn off " : "Turn on ") + s.name);
      button.disabled = s.source === "env";
      button.addEventListener("click", function () { askSwitch(s.name, !s.enabled, button); });
      var change = s.updated_by ? s.updated_by + (s.reason ? ": " + s.reason : "") : s.source;
      var tr = row([breakable(s.name), state, change, button]);
      tr.setAttribute("data-switch", s.name);
      tbody.appendChild(tr);
    });
  }

  function askSwitch(name, enabled, button) {
    pendingSwitch = { name: name, enabled: enabled, button: button };
    $("switch-question").textContent = "Turn " + (enabled ? "on " : "off ") + name + " for every instance?";
    $("switch-reason").value = "";
    $("switch-error").hidden = true;
    $("switch-form").hidden = false;
    $("switch-reason").focus();
  }

  function submitSwitch(event) {
    event.preventDefault();
    var reason = $("switch-reason").value.trim();
    if (reason.length < 3) {
      $("switch-error").textContent = "Give a reason (at least 3 characters): it goes into the audit log.";
      $("switch-error").hidden = false;
      return;
    }
    var change = pendingSwitch;
    api("/switches/" + encodeURIComponent(change.name), "PUT", { enabled: change.enabled, reason: reason })
      .then(function (result) {
        if (result.status !== 200) {
          $("switch-error").textContent = (result.body.error && result.body.error.message) || "The switch did not change.";
          $("switch-error").hidden = false;
          return;
        }
        $("switch-form").hidden = true;
        pendingSwitch = null;
        refresh();
      });
  }

  function drawHealth(health) {
    var checks = health.checks || {};
    fill($("health").tBodies[0], Object.keys(checks).map(function (name) {
      var c = checks[name];
      return [name, badge(c.healthy ? "healthy" : "down", c.healthy ? "ok" : "bad"), c.detail + " (" + c.latency_ms + " ms)"];
    }));
  }

  function drawOps(recon, hooks) {
    var drift = Object.keys(recon.drift).filter(function (k) { return recon.drift[k]; })
      .map(function (k) { return k + " " + recon.drift[k]; }).join(", ");
    fill($("ops").tBodies[0], [
      ["Reconciliation drift", badge(String(recon.total), recon.total ? "bad" : "ok"),
       (drift || "none") + "; last run " + (recon.last_run ? new Date(recon.last_run).toLocaleString() : "not yet")],
      ["Webhooks failed", badge(String(hooks.failed), hooks.failed ? "bad" : "ok"), "in the inbox, waiting for retry"],
      ["Oldest pending webhook", hooks.oldest_pending_seconds === null ? "none" : ago(hooks.oldest_pending_seconds), ""],
      ["Last webhook received", ago(hooks.last_event_seconds), ""]
    ]);
  }

  function drawRecent(recent) {
    fill($("recent").tBodies[0], recent.map(function (p) {
      var ok = ["succeeded", "refunded", "partially_refunded"].indexOf(p.status) >= 0;
      var bad = p.last_error_code && !ok;
      return [new Date(p.created_at).toLocaleString(), p.method_type, money(p.amount, p.currency),
        badge(p.status + (bad ? " (" + p.last_error_code + ")" : ""), ok ? "ok" : bad ? "bad" : ""), p.id];
    }));
  }

  // ----- loop --------------------------------------------------------------------------------
  function render(board) {
    $("signin").hidden = true;
    $("board").hidden = false;
    $("meta").textContent = "Signed in as " + board.operator + " · updated " +
      new Date(board.generated_at).toLocaleTimeString() + " · refreshes every " + REFRESH_MS / 1000 + " s";
    drawCriteria(board.criteria);
    drawVolume(board.hourly);
    drawMethods(board.methods);
    drawErrors(board.error_codes);
    drawAlerts(board.alerts);
    if (!pendingSwitch) { drawSwitches(board.switches); }
    drawHealth(board.health);
    drawOps(board.reconciliation, board.webhooks);
    drawRecent(board.recent);
  }

  var timer = null;
  function refresh() {
    clearTimeout(timer);
    return api("/overview").then(function (result) {
      if (result.status === 401 || result.status === 403) {
        $("board").hidden = true;
        $("signin").hidden = false;
        $("meta").textContent = "";
        return;
      }
      if (result.status === 200) { render(result.body); }
      else { $("meta").textContent = "Could not refresh (" + result.status + "); retrying…"; }
      timer = setTimeout(refresh, REFRESH_MS);
    });
  }

  function signIn(event) {
    event.preventDefault();
    var token = $("token").value.trim();
    fetch("/console/api/session", {
      method: "POST", credentials: "same-origin", headers: { Authorization: "Bearer " + token }
    }).then(function (resp) {
      $("token").value = "";
      if (resp.status === 200) { refresh(); return; }
      $("signin-error").textContent = "That token was not accepted: the console needs a service-role token.";
      $("signin-error").hidden = false;
    });
  }

  function start() {
    $("signin-form").addEventListener("submit", signIn);
    $("switch-form").addEventListener("submit", submitSwitch);
    $("switch-cancel").addEventListener("click", function () {
      $("switch-form").hidden = true;
      if (pendingSwitch) { pendingSwitch.button.focus(); }
      pendingSwitch = null;
    });
    refresh();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
