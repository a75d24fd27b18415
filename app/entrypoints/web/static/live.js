/* The home page, live: new orders and counters from server-sent events (/events).
   A burst comes as one "orders" event (how many, and the latest of them): the list
   shows the latest and a note says how many arrived, so none goes uncounted.
   Builds elements with textContent only, never HTML strings, so nothing from an
   order can become markup. The page works without this file; it only adds liveness. */
"use strict";
(function () {
  var list = document.getElementById("recent-orders");
  var status = document.getElementById("live-status");
  var burst = document.getElementById("live-burst");
  if (!list || !window.EventSource) return;
  var limit = Number(list.getAttribute("data-limit")) || 20;
  var number = new Intl.NumberFormat("en-US");
  var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function count(n) { return n === null || n === undefined ? "\u2014" : number.format(n); }
  function percent(r) { return r === null || r === undefined ? "\u2014" : (r * 100).toFixed(1) + "%"; }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function when(iso) {
    var t = new Date(iso);
    if (isNaN(t)) return iso;
    return two(t.getUTCDate()) + " " + months[t.getUTCMonth()] + " " + t.getUTCFullYear() +
      ", " + two(t.getUTCHours()) + ":" + two(t.getUTCMinutes()) + " UTC";
  }
  function span(className, text, tag) {
    var el = document.createElement(tag || "span");
    el.className = className;
    el.textContent = text;
    return el;
  }
  function row(o) {
    var link = document.createElement("a");
    link.className = "order-row";
    link.href = "/orders/" + encodeURIComponent(o.order_uid);
    link.appendChild(span("order-uid", o.order_uid));
    link.appendChild(span("order-who", o.customer_name + " \u00b7 " + o.items + (o.items === 1 ? " item" : " items")));
    link.appendChild(span("order-amount", (number.format(o.amount) + " " + o.currency).trim()));
    var time = span("order-when", when(o.date_created), "time");
    time.setAttribute("datetime", o.date_created);
    link.appendChild(time);
    var item = document.createElement("li");
    item.className = "fresh";
    item.setAttribute("data-uid", o.order_uid);
    item.appendChild(link);
    return item;
  }

  function add(o) {
    var empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.insertBefore(row(o), list.firstChild);
    while (list.children.length > limit) list.lastElementChild.remove();
  }
  function addOrder(event) { add(JSON.parse(event.data)); }
  function addOrders(event) {
    var news = JSON.parse(event.data);
    news.latest.forEach(add);
    if (!burst) return;
    burst.textContent = count(news.count) + " new orders just arrived; the latest " +
      count(news.latest.length) + " are shown.";
    burst.hidden = false;
  }
  function showStats(event) {
    var s = JSON.parse(event.data);
    var text = { stored: count(s.stored), dead_lettered: count(s.dead_lettered),
                 cached: count(s.cached), hit_ratio: percent(s.hit_ratio) };
    Object.keys(text).forEach(function (name) {
      var el = document.querySelector('[data-stat="' + name + '"]');
      if (el && el.textContent !== text[name]) el.textContent = text[name];
    });
  }
  function state(value, label) {
    if (!status) return;
    status.setAttribute("data-state", value);
    status.textContent = label;
  }

  var source = new EventSource("/events");
  source.addEventListener("order", addOrder);
  source.addEventListener("orders", addOrders);
  source.addEventListener("stats", showStats);
  source.addEventListener("open", function () { state("on", "live"); });
  source.addEventListener("error", function () { state("off", "reconnecting"); });
})();
