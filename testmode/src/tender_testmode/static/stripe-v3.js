/*
 * Offline Stripe.js for Tender's Stripe test mode, written from Stripe's public documentation
 * of the Stripe.js API (docs.stripe.com/js). Same global and method names as
 * https://js.stripe.com/v3/, but it talks to the test mode that served it, uses plain inputs
 * instead of Stripe's iframes, and shows a 3-D Secure challenge the tester approves or fails.
 * It only ever uses the publishable key. Test mode only: never load it in production.
 */
(function () {
  "use strict";

  var current = document.currentScript;
  var API = current && current.src ? new URL(current.src).origin : window.location.origin;

  // ----- wire --------------------------------------------------------------------------------
  function encode(value, prefix, out) {
    if (value === undefined || value === null) { return out; }
    if (typeof value === "object" && !(value instanceof Date)) {
      Object.keys(value).forEach(function (key) {
        var name = prefix ? prefix + "[" + key + "]" : key;
        encode(value[key], Array.isArray(value) ? prefix + "[]" : name, out);
      });
      return out;
    }
    out.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(value)));
    return out;
  }

  function connectionError() {
    return {
      error: {
        type: "api_connection_error",
        message: "We could not connect to Stripe. Check your connection and try again."
      }
    };
  }

  function call(key, method, path, params) {
    var url = API + path;
    var options = { method: method, headers: { Authorization: "Bearer " + key } };
    var body = encode(params || {}, "", []).join("&");
    if (method === "GET") {
      if (body) { url += "?" + body; }
    } else {
      options.headers["Content-Type"] = "application/x-www-form-urlencoded";
      options.body = body;
    }
    return fetch(url, options).then(function (resp) {
      return resp.json().then(function (data) {
        return resp.ok ? { object: data } : { error: data.error || connectionError().error };
      });
    }, connectionError);
  }

  function intentId(clientSecret) {
    return String(clientSecret || "").split("_secret_")[0];
  }

  // ----- card checks -------------------------------------------------------------------------
  function digits(value) { return String(value || "").replace(/\D/g, ""); }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return number.length >= 12 && sum % 10 === 0;
  }

  function brandOf(number) {
    if (/^4/.test(number)) { return "visa"; }
    if (/^(5[1-5]|2[2-7])/.test(number)) { return "mastercard"; }
    if (/^3[47]/.test(number)) { return "amex"; }
    if (/^6(011|5)/.test(number)) { return "discover"; }
    return "unknown";
  }

  function parseExpiry(value) {
    var m = String(value || "").replace(/\s/g, "").match(/^(\d{1,2})\/?(\d{2}|\d{4})$/);
    if (!m) { return null; }
    var month = Number(m[1]), year = Number(m[2]);
    if (year < 100) { year += 2000; }
    return { month: month, year: year };
  }

  function problem(code, message) { return { type: "validation_error", code: code, message: message }; }

  // ----- Elements ----------------------------------------------------------------------------
  var FIELD_STYLE = {
    display: "block", width: "100%", padding: "10px 12px", margin: "4px 0 10px",
    fontSize: "16px", border: "1px solid #c9cfdb", borderRadius: "6px", boxSizing: "border-box",
    fontFamily: "inherit"
  };

  function styled(el, style) {
    Object.keys(style).forEach(function (k) { el.style[k] = style[k]; });
    return el;
  }

  var uid = 0;

  function CardElement(kind, options) {
    this.elementType = kind;
    this.options = options || {};
    this._handlers = {};
    this._node = null;
    this._inputs = null;
  }

  CardElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  CardElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  CardElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (h) { h(payload); });
  };

  CardElement.prototype._field = function (box, label, placeholder, autocomplete, mode) {
    var id = "tender-stripe-" + (++uid);
    var lab = document.createElement("label");
    lab.htmlFor = id;
    lab.textContent = label;
    styled(lab, { display: "block", fontSize: "14px", color: "#30313d" });
    var input = document.createElement("input");
    input.id = id;
    input.type = "text";
    input.inputMode = mode;
    input.autocomplete = autocomplete;
    input.placeholder = placeholder;
    input.spellcheck = false;
    styled(input, FIELD_STYLE);
    box.appendChild(lab);
    box.appendChild(input);
    return input;
  };

  CardElement.prototype.mount = function (target) {
    var host = typeof target === "string" ? document.querySelector(target) : target;
    if (!host) { throw new Error("Stripe: the element to mount on was not found: " + target); }
    if (this._node) { this.unmount(); }
    var box = document.createElement("div");
    box.className = "StripeElement StripeElement--offline";
    if (this.elementType === "payment") {
      var title = document.createElement("p");
      title.textContent = "Card";
      styled(title, { fontWeight: "600", margin: "0 0 6px" });
      box.appendChild(title);
    }
    var number = this._field(box, "Card number", "1234 1234 1234 1234", "cc-number", "numeric");
    var row = document.createElement("div");
    styled(row, { display: "grid", gridTemplateColumns: "1fr 1fr", gap: "12px" });
    var left = document.createElement("div"), right = document.createElement("div");
    row.appendChild(left);
    row.appendChild(right);
    box.appendChild(row);
    var expiry = this._field(left, "Expiry (MM / YY)", "MM / YY", "cc-exp", "numeric");
    var cvc = this._field(right, "CVC", "CVC", "cc-csc", "numeric");
    var note = document.createElement("p");
    note.textContent = "Stripe test mode (offline): use a test card.";
    styled(note, { fontSize: "12px", color: "#6b7385", margin: "0" });
    box.appendChild(note);
    this._inputs = { number: number, expiry: expiry, cvc: cvc };
    var self = this;
    [number, expiry, cvc].forEach(function (input) {
      input.addEventListener("input", function () { self._emit("change", self._state(false)); });
      input.addEventListener("blur", function () {
        self._emit("change", self._state(true));
        self._emit("blur", { elementType: self.elementType });
      });
      input.addEventListener("focus", function () { self._emit("focus", { elementType: self.elementType }); });
    });
    host.appendChild(box);
    this._node = box;
    setTimeout(function () { self._emit("ready", { elementType: self.elementType }); }, 0);
    return this;
  };

  CardElement.prototype.unmount = function () {
    if (this._node && this._node.parentNode) { this._node.parentNode.removeChild(this._node); }
    this._node = null;
    this._inputs = null;
    return this;
  };

  CardElement.prototype.destroy = function () {
    this.unmount();
    this._handlers = {};
    this._destroyed = true;
  };

  CardElement.prototype.clear = function () {
    if (!this._inputs) { return; }
    var inputs = this._inputs;
    Object.keys(inputs).forEach(function (k) { inputs[k].value = ""; });
  };

  CardElement.prototype.focus = function () { if (this._inputs) { this._inputs.number.focus(); } };

  CardElement.prototype._values = function () {
    var inputs = this._inputs || { number: {}, expiry: {}, cvc: {} };
    return {
      number: digits(inputs.number.value),
      expiry: parseExpiry(inputs.expiry.value),
      expiryRaw: String(inputs.expiry.value || "").trim(),
      cvc: digits(inputs.cvc.value)
    };
  };

  // What Stripe reports in a change event: complete, empty, brand and a user-facing error.
  CardElement.prototype._state = function (strict) {
    var v = this._values();
    var error = null;
    var now = new Date();
    if (v.number && (v.number.length >= 16 || strict) && !luhn(v.number)) {
      error = problem("incomplete_number", "Your card number is invalid.");
    } else if (v.expiry && (v.expiry.month < 1 || v.expiry.month > 12)) {
      error = problem("invalid_expiry_month", "Your card's expiration month is invalid.");
    } else if (v.expiry && (v.expiry.year < now.getFullYear() ||
        (v.expiry.year === now.getFullYear() && v.expiry.month < now.getMonth() + 1))) {
      error = problem("invalid_expiry_year_past", "Your card's expiration year is in the past.");
    } else if (strict && v.expiryRaw && !v.expiry) {
      error = problem("incomplete_expiry", "Your card's expiration date is incomplete.");
    }
    var complete = !error && luhn(v.number) && Boolean(v.expiry) && v.cvc.length >= 3;
    return {
      elementType: this.elementType,
      empty: !v.number && !v.expiryRaw && !v.cvc,
      complete: complete,
      brand: brandOf(v.number),
      value: {},
      error: error || undefined
    };
  };

  // The first problem in the card details, or null when they may be sent to Stripe.
  CardElement.prototype._problem = function () {
    var state = this._state(true);
    if (state.error) { return state.error; }
    var v = this._values();
    if (!v.number) { return problem("incomplete_number", "Your card number is incomplete."); }
    if (!v.expiry) { return problem("incomplete_expiry", "Your card's expiration date is incomplete."); }
    if (v.cvc.length < 3) { return problem("incomplete_cvc", "Your card's security code is incomplete."); }
    return null;
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this.options = options || {};
    this._created = {};
  }

  Elements.prototype.create = function (kind, options) {
    if (kind !== "card" && kind !== "payment") {
      throw new Error("Stripe (offline): only the 'card' and 'payment' elements are available.");
    }
    if (this._created[kind]) {
      throw new Error("Can only create one Element of type " + kind + ".");
    }
    var element = new CardElement(kind, options);
    this._created[kind] = element;
    return element;
  };

  Elements.prototype.getElement = function (kind) { return this._created[kind] || null; };
  Elements.prototype.update = function (options) { this.options = Object.assign(this.options, options); };
  Elements.prototype.submit = function () {
    var element = this._created.payment || this._created.card;
    var error = element ? element._problem() : problem("incomplete", "No payment element mounted.");
    return Promise.resolve(error ? { error: error } : {});
  };

  // ----- 3-D Secure challenge ----------------------------------------------------------------
  function challenge(intent) {
    return new Promise(function (resolve) {
      var previous = document.activeElement;
      var overlay = styled(document.createElement("div"), {
        position: "fixed", inset: "0", background: "rgba(10, 15, 30, .55)", display: "flex",
        alignItems: "center", justifyContent: "center", zIndex: "2147483647", padding: "16px"
      });
      var dialog = styled(document.createElement("div"), {
        background: "#fff", borderRadius: "10px", padding: "24px", maxWidth: "380px",
        width: "100%", fontFamily: "system-ui, sans-serif", color: "#1a1f36",
        boxShadow: "0 10px 40px rgba(0,0,0,.3)"
      });
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-labelledby", "tender-3ds-title");
      dialog.id = "tender-3ds-challenge";
      var title = document.createElement("h2");
      title.id = "tender-3ds-title";
      title.textContent = "3D Secure test payment";
      styled(title, { fontSize: "18px", margin: "0 0 8px" });
      var amount = "";
      try {
        var fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: intent.currency.toUpperCase() });
        amount = fmt.format(intent.amount / Math.pow(10, fmt.resolvedOptions().maximumFractionDigits));
      } catch (e) { amount = intent.amount + " " + intent.currency; }
      var text = document.createElement("p");
      text.textContent = "Your bank asks you to confirm a payment of " + amount +
        ". This is Stripe's offline test mode: approve or fail the authentication.";
      styled(text, { margin: "0 0 16px", lineHeight: "1.4" });
      var buttons = styled(document.createElement("div"), { display: "flex", gap: "12px" });
      function button(label, primary) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        styled(b, {
          flex: "1", minHeight: "44px", borderRadius: "6px", fontSize: "16px", cursor: "pointer",
          border: primary ? "0" : "1px solid #c9cfdb", background: primary ? "#2b8a3e" : "#fff",
          color: primary ? "#fff" : "#c92a2a", fontWeight: "600"
        });
        return b;
      }
      var approve = button("Approve", true);
      var fail = button("Fail", false);
      buttons.appendChild(approve);
      buttons.appendChild(fail);
      dialog.appendChild(title);
      dialog.appendChild(text);
      dialog.appendChild(buttons);
      overlay.appendChild(dialog);
      document.body.appendChild(overlay);
      approve.focus();

      function finish(outcome) {
        document.removeEventListener("keydown", onKey, true);
        approve.disabled = fail.disabled = true;
        overlay.parentNode && overlay.parentNode.removeChild(overlay);
        if (previous && previous.focus) { previous.focus(); }
        resolve(outcome);
      }
      function onKey(event) {
        if (event.key === "Escape") { event.preventDefault(); finish("fail"); }
        if (event.key === "Tab") {  // keep focus inside the dialog
          event.preventDefault();
          (document.activeElement === approve ? fail : approve).focus();
        }
      }
      document.addEventListener("keydown", onKey, true);
      approve.addEventListener("click", function () { finish("succeed"); });
      fail.addEventListener("click", function () { finish("fail"); });
    });
  }

  // ----- Stripe ------------------------------------------------------------------------------
  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) { return new Stripe(publishableKey, options); }
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw new Error("Invalid API Key provided: Stripe() needs a publishable key (pk_...).");
    }
    this._key = publishableKey;
    this.options = options || {};
  }

  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return call(this._key, "GET", "/v1/payment_intents/" + intentId(clientSecret), {
      client_secret: clientSecret
    }).then(function (r) { return r.error ? { error: r.error } : { paymentIntent: r.object }; });
  };

  Stripe.prototype.createPaymentMethod = function (params) {
    var args = params || {};
    if (args.elements) {  // createPaymentMethod({elements, params})
      var el = args.elements.getElement("payment") || args.elements.getElement("card");
      args = Object.assign({ type: "card", card: el }, args.params || {});
    }
    var element = args.card;
    if (!element || !(element instanceof CardElement)) {
      return Promise.resolve({ error: problem("invalid_request", "Pass a mounted card element as `card`.") });
    }
    var issue = element._problem();
    if (issue) { return Promise.resolve({ error: issue }); }
    var v = element._values();
    var body = {
      type: "card",
      card: { number: v.number, exp_month: v.expiry.month, exp_year: v.expiry.year, cvc: v.cvc },
      payment_user_agent: "stripe.js/offline-tender"
    };
    if (args.billing_details) { body.billing_details = args.billing_details; }
    if (args.metadata) { body.metadata = args.metadata; }
    return call(this._key, "POST", "/v1/payment_methods", body).then(function (r) {
      return r.error ? { error: r.error } : { paymentMethod: r.object };
    });
  };

  // Shows the challenge for an intent that requires action, then reports the intent's state.
  Stripe.prototype._authenticate = function (intent, clientSecret) {
    var self = this;
    if (intent.status !== "requires_action") { return Promise.resolve(self._outcome(intent)); }
    return challenge(intent).then(function (outcome) {
      return fetch(API + "/_test/payment_intents/" + intent.id + "/authenticate", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "outcome=" + outcome
      }).then(function () {
        return self.retrievePaymentIntent(clientSecret);
      }, connectionError).then(function (r) {
        return r.error ? { error: r.error } : self._outcome(r.paymentIntent);
      });
    });
  };

  Stripe.prototype._outcome = function (intent) {
    if (intent.status === "requires_payment_method" && intent.last_payment_error) {
      return { error: Object.assign({}, intent.last_payment_error, { payment_intent: intent }) };
    }
    return { paymentIntent: intent };
  };

  Stripe.prototype._paymentMethodId = function (data) {
    var pm = data && data.payment_method;
    if (!pm) { return Promise.resolve({ id: null }); }
    if (typeof pm === "string") { return Promise.resolve({ id: pm }); }
    return this.createPaymentMethod(Object.assign({ type: "card" }, pm)).then(function (r) {
      return r.error ? { error: r.error } : { id: r.paymentMethod.id };
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data) {
    var self = this;
    return this._paymentMethodId(data).then(function (pm) {
      if (pm.error) { return { error: pm.error }; }
      var params = { client_secret: clientSecret };
      if (pm.id) { params.payment_method = pm.id; }
      if (data && data.return_url) { params.return_url = data.return_url; }
      return call(self._key, "POST", "/v1/payment_intents/" + intentId(clientSecret) + "/confirm", params)
        .then(function (r) {
          if (r.error) { return { error: r.error }; }
          return self._authenticate(r.object, clientSecret);
        });
    });
  };

  Stripe.prototype.confirmPayment = function (options) {
    var args = options || {};
    var elements = args.elements;
    var element = elements && (elements.getElement("payment") || elements.getElement("card"));
    var clientSecret = args.clientSecret || (elements && elements.options.clientSecret);
    var confirmParams = args.confirmParams || {};
    var data = {};
    if (confirmParams.payment_method) {
      data.payment_method = confirmParams.payment_method;
    } else if (element) {
      data.payment_method = { card: element, billing_details: confirmParams.payment_method_data &&
        confirmParams.payment_method_data.billing_details };
    }
    return this.confirmCardPayment(clientSecret, data).then(function (result) {
      var intent = result.paymentIntent;
      if (intent && args.redirect !== "if_required" && confirmParams.return_url) {
        var url = new URL(confirmParams.return_url, window.location.href);
        url.searchParams.set("payment_intent", intent.id);
        url.searchParams.set("payment_intent_client_secret", clientSecret);
        url.searchParams.set("redirect_status", intent.status === "succeeded" ? "succeeded" : "failed");
        window.location.assign(url.toString());
      }
      return result;
    });
  };

  Stripe.prototype.handleCardAction = function (clientSecret) {
    var self = this;
    return this.retrievePaymentIntent(clientSecret).then(function (r) {
      if (r.error) { return r; }
      return self._authenticate(r.paymentIntent, clientSecret);
    });
  };

  Stripe.prototype.handleNextAction = function (options) {
    return this.handleCardAction((options || {}).clientSecret);
  };

  Stripe.version = 3;
  Stripe.offline = true;
  window.Stripe = Stripe;
})();
