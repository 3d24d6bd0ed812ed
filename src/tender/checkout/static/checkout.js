// Tender's hosted checkout page. Vanilla JS, no build step, no secret: the link's token (in
// the path) is the only credential, and card details go to Stripe.js, never to Tender.
(function () {
  "use strict";

  var token = location.pathname.split("/")[2] || "";
  var base = "/checkout/" + encodeURIComponent(token);
  var POLL_MS = 2000;
  var METHOD_LABELS = {
    card: "Card",
    cash_on_pickup: "Cash on pickup",
    bank_transfer: "Bank transfer"
  };
  var OFFLINE_COPY = {
    cash_on_pickup: {
      text: "Reserve your order now and pay in cash when you pick it up.",
      button: "Reserve and pay on pickup"
    },
    bank_transfer: {
      text: "Get our bank details and a reference; your order is paid when the transfer arrives.",
      button: "Get bank transfer details"
    }
  };

  var state = { order: null, config: null, stripe: null, card: null, methods: [], cardDown: "" };

  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function text(id, value) { $(id).textContent = value; }

  function api(path, method, body) {
    var options = { method: method || "GET", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path.charAt(0) === "/" && path.indexOf("/v1/") === 0 ? path : base + path, options)
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          return { status: resp.status, body: data };
        });
      })
      .catch(function () {
        return { status: 0, body: { error: { code: "network", message:
          "We could not reach the payment service. Check your connection and try again." } } };
      });
  }

  function money(amount, currency) {
    var code = String(currency || "").toUpperCase();
    try {
      var fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: code });
      var digits = fmt.resolvedOptions().maximumFractionDigits;
      return fmt.format(amount / Math.pow(10, digits));
    } catch (e) {
      return amount + " " + code;
    }
  }

  function errorMessage(result) {
    var err = result.body && result.body.error;
    return (err && err.message) || "Something went wrong. Please try again.";
  }

  function stop(title, message) {
    ["order", "pay", "processing", "receipt", "notice", "loading"].forEach(function (id) {
      show(id, false);
    });
    text("stopped-title", title);
    text("stopped-text", message);
    show("stopped", true);
    document.title = title;
  }

  function notice(message) {
    text("notice", message);
    show("notice", Boolean(message));
  }

  // ----- the order -------------------------------------------------------------------------
  function renderOrder(order) {
    text("order-description", order.description || "Order " + order.id.slice(0, 8));
    var list = $("order-items");
    list.textContent = "";
    order.items.forEach(function (item) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = (item.quantity > 1 ? item.quantity + " × " : "") + item.name;
      li.appendChild(name);
      if (item.amount !== null) {
        var price = document.createElement("span");
        price.textContent = money(item.amount * (item.quantity || 1), order.currency);
        li.appendChild(price);
      }
      list.appendChild(li);
    });
    list.hidden = order.items.length === 0;
    text("order-amount", money(order.amount, order.currency));
    show("order", true);
  }

  // ----- choosing a method -----------------------------------------------------------------
  function renderMethods(methods) {
    var box = $("method-choice");
    Array.prototype.slice.call(box.querySelectorAll("label")).forEach(function (l) { l.remove(); });
    methods.forEach(function (method, index) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "method";
      input.value = method;
      input.id = "method-" + method;
      input.checked = index === 0;
      input.addEventListener("change", function () { select(method); });
      label.appendChild(input);
      label.appendChild(document.createTextNode(METHOD_LABELS[method] || method));
      box.appendChild(label);
    });
    show("pay", methods.length > 0);
    if (methods.length) { select(methods[0]); }
  }

  function select(method) {
    state.selected = method;
    var input = $("method-" + method);
    if (input) { input.checked = true; }
    show("card-form", method === "card");
    show("offline-panel", method !== "card");
    if (method !== "card") {
      text("offline-text", OFFLINE_COPY[method].text);
      text("offline-submit", OFFLINE_COPY[method].button);
      show("offline-error", false);
    }
  }

  function offerFallbacks(message, fallbacks) {
    var offline = (fallbacks || state.methods).filter(function (m) { return m !== "card"; });
    state.methods = offline;
    if (offline.length === 0) {
      stop("Payments are unavailable", message + " Please try again later with the same link.");
      return;
    }
    notice(message + " You can still pay by " +
      offline.map(function (m) { return METHOD_LABELS[m].toLowerCase(); }).join(" or ") + ".");
    renderMethods(offline);
  }

  // ----- card payments ---------------------------------------------------------------------
  function loadStripe(url) {
    return new Promise(function (resolve, reject) {
      if (window.Stripe) { resolve(); return; }
      var script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = function () { window.Stripe ? resolve() : reject(new Error("no Stripe")); };
      script.onerror = function () { reject(new Error("Stripe.js did not load")); };
      document.head.appendChild(script);
      setTimeout(function () { reject(new Error("Stripe.js timed out")); }, 10000);
    });
  }

  function setupCard() {
    return loadStripe(state.config.stripe_js_url).then(function () {
      state.stripe = window.Stripe(state.config.publishable_key);
      var elements = state.stripe.elements();
      state.card = elements.create("card");
      state.card.mount("#card-element");
      state.card.on("change", function (event) {
        cardError(event.error ? event.error.message : "");
      });
      text("card-submit", "Pay " + money(state.order.amount, state.order.currency));
    });
  }

  function cardError(message) {
    text("card-error", message);
    show("card-error", Boolean(message));
  }

  function busy(button, on, label) {
    $(button).disabled = on;
    if (label) { text(button, label); }
  }

  function payLabel() { return "Pay " + money(state.order.amount, state.order.currency); }

  function payByCard(event) {
    event.preventDefault();
    cardError("");
    busy("card-submit", true, "Processing…");
    api("/card", "POST", {}).then(function (started) {
      if (started.status !== 200) { return afterConfirm(started); }
      state.clientSecret = started.body.client_secret;
      return state.stripe.createPaymentMethod({ type: "card", card: state.card })
        .then(function (created) {
          if (created.error) {
            cardError(created.error.message);
            busy("card-submit", false, payLabel());
            return null;
          }
          state.cardInfo = created.paymentMethod.card;
          return api("/confirm", "POST", { payment_method: created.paymentMethod.id })
            .then(afterConfirm);
        });
    });
  }

  function afterConfirm(result) {
    var body = result.body || {};
    var code = body.error && body.error.code;
    if (result.status === 200 && body.status === "succeeded") { return receiptForCard(body); }
    if (result.status === 200 && body.status === "requires_action") { return authenticate(body); }
    if (result.status === 202 || body.status === "processing") { return processing(); }
    if (result.status === 410) { return settle(errorMessage(result)); }
    if (code === "payment_maintenance") {
      return stop("Down for maintenance", errorMessage(result));
    }
    if (code === "provider_unavailable") {
      busy("card-submit", false, payLabel());
      return offerFallbacks("Card payments are unavailable right now.", body.error.fallback_methods);
    }
    if (code === "payment_method_disabled" || code === "new_payments_paused") {
      busy("card-submit", false, payLabel());
      return offerFallbacks("Card payments are switched off right now.");
    }
    if (result.status === 200) {
      cardError("Your payment was not completed. Please try again or use another card.");
    } else {
      cardError(errorMessage(result));
    }
    busy("card-submit", false, "Try again");
    return null;
  }

  function authenticate(payment) {
    return state.stripe.handleCardAction(payment.client_secret).then(function (outcome) {
      return api("/confirm", "POST", {}).then(function (checked) {
        if (outcome.error && checked.body.status !== "succeeded") {
          cardError((outcome.error.message || "Authentication failed.") +
            " Please try again or use another card.");
          busy("card-submit", false, "Try again");
          return null;
        }
        return afterConfirm(checked);
      });
    });
  }

  // The link stopped working mid-payment: find out what happened to the money, then say so.
  function settle(message) {
    return api("/payment").then(function (result) {
      var status = result.body && result.body.status;
      if (status === "succeeded") { return receiptForCard(result.body); }
      if (status === "processing") { return processing(); }
      var untouched = ["pending", "requires_payment_method", "requires_confirmation",
        "requires_action", "canceled"].indexOf(status) >= 0;
      return stop("Link no longer valid", message + (untouched ? " No payment was taken." :
        " Please look at your order in the app before paying again."));
    });
  }

  function processing() {
    ["pay", "notice"].forEach(function (id) { show(id, false); });
    show("processing", true);
    setTimeout(function poll() {
      api("/payment").then(function (result) {
        var status = result.body && result.body.status;
        if (status === "succeeded") { receiptForCard(result.body); }
        else if (status === "processing" || result.status >= 500 || result.status === 0 ||
                 result.status === 429) {
          setTimeout(poll, POLL_MS);
        } else if (!status) {
          // Never guess about money: without an answer, say we do not know.
          stop("Payment status unknown", "This page can no longer check your payment. " +
            "Please look at your order in the app before paying again.");
        } else {
          show("processing", false);
          show("pay", true);
          cardError("Your payment did not go through. Please try again or use another method.");
          busy("card-submit", false, "Try again");
        }
      });
    }, POLL_MS);
  }

  // ----- offline methods -------------------------------------------------------------------
  function payOffline() {
    var method = state.selected;
    show("offline-error", false);
    busy("offline-submit", true, "One moment…");
    api("/offline", "POST", { method: method }).then(function (result) {
      if (result.status === 201) { return receiptForOffline(result.body); }
      if (result.body.error && result.body.error.code === "payment_maintenance") {
        return stop("Down for maintenance", errorMessage(result));
      }
      text("offline-error", errorMessage(result));
      show("offline-error", true);
      busy("offline-submit", false, OFFLINE_COPY[method].button);
      return null;
    });
  }

  // ----- receipts --------------------------------------------------------------------------
  function facts(rows) {
    var dl = $("receipt-facts");
    dl.textContent = "";
    rows.forEach(function (row) {
      if (!row[1]) { return; }
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = row[0];
      dd.textContent = row[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
  }

  function showReceipt(title, rows, message, note) {
    ["pay", "notice", "processing"].forEach(function (id) { show(id, false); });
    text("receipt-title", title);
    facts(rows);
    text("receipt-text", message || "");
    text("receipt-note", note || "You can close this page.");
    show("receipt", true);
    document.title = title;
    $("receipt-title").setAttribute("tabindex", "-1");
    $("receipt-title").focus();
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }
  function day(iso) {
    return iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: "long" }) : "";
  }

  function receiptForCard(payment) {
    var card = state.cardInfo;
    showReceipt("Payment received", [
      ["Amount", money(payment.amount, payment.currency)],
      ["Paid with", card ? card.brand.toUpperCase() + " •••• " + card.last4 : "Card"],
      ["Payment", payment.payment_id],
      ["Date", when(payment.updated_at)]
    ], "Thank you. Your order is paid.");
  }

  function receiptForOffline(payment) {
    var info = payment.instructions || {};
    var amount = money(payment.amount, payment.currency);
    var keep = "You can close this page. Keep the reference above for your records.";
    if (payment.method_type === "bank_transfer") {
      var account = state.bankAccount;
      showReceipt("Bank transfer details", [
        ["Amount", amount],
        ["Pay to", account || "the account in your order confirmation"],
        ["Reference", info.reference || payment.bank_reference],
        ["Pay before", day(info.pay_before)]
      ], "Transfer " + amount + " quoting the reference " + (info.reference || "") +
        " exactly, before " + day(info.pay_before) + ". Your order is paid when it arrives.",
        keep);
      return;
    }
    showReceipt("Order reserved: pay on pickup", [
      ["Amount", amount],
      ["Pay before", day(info.pay_before)],
      ["Payment", payment.payment_id]
    ], "Pay " + amount + " in cash when you pick up your order, before " +
      day(info.pay_before) + ".", keep);
  }

  // ----- start -----------------------------------------------------------------------------
  function start() {
    $("card-form").addEventListener("submit", payByCard);
    $("offline-submit").addEventListener("click", payOffline);
    Promise.all([api("/v1/client-config"), api("/session")]).then(function (answers) {
      var config = answers[0], session = answers[1];
      show("loading", false);
      if (session.status !== 200) {
        return stop(session.status === 410 ? "Link no longer valid" : "Checkout unavailable",
          errorMessage(session));
      }
      state.config = config.body;
      state.order = session.body.order;
      state.bankAccount = session.body.bank_transfer_account;
      if (session.body.maintenance) {
        return stop("Down for maintenance",
          "Payments are paused for maintenance. Please try again shortly with the same link.");
      }
      renderOrder(state.order);
      if (state.order.status === "paid") {
        return stop("Already paid", "This order is already paid. Nothing more to do.");
      }
      if (["pending", "awaiting_payment"].indexOf(state.order.status) < 0) {
        return stop("Nothing to pay", "This order is " + state.order.status.replace("_", " ") +
          " and cannot be paid.");
      }
      var payment = session.body.payment;
      if (payment && payment.status === "processing") { processing(); }
      state.methods = session.body.enabled_methods;
      if (state.methods.length === 0) {
        return stop("Payments are paused", "We are not taking new payments right now. " +
          "Your order is kept; please try again later.");
      }
      if (state.methods.indexOf("card") < 0) {
        return offerFallbacks("Card payments are switched off right now.");
      }
      renderMethods(state.methods);
      return setupCard().catch(function () {
        offerFallbacks("Card payments are unavailable right now.");
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
