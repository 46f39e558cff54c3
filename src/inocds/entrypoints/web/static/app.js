// inocds: small progressive enhancements. Every page works without this file.
// 1. A live countdown beside each <time data-countdown> (the absolute time is always shown).
// 2. A "Print the label" button that prints only the label section.
(function () {
  "use strict";

  function words(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    var span = hours ? hours + " h " + (rest < 10 ? "0" : "") + rest + " min" : rest + " min";
    return ms < 0 ? "expired " + span + " ago" : span + " left";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("time[data-countdown]");
    for (var i = 0; i < clocks.length; i++) {
      var time = clocks[i];
      var at = Date.parse(time.getAttribute("datetime"));
      if (isNaN(at)) continue;
      var holder = time.parentNode;
      var left = holder.querySelector("[data-countdown-left]");
      if (!left) continue;
      var ms = at - now;
      left.textContent = "(" + words(ms) + ")";
      holder.classList.toggle("expired", ms < 0);
      holder.classList.toggle("urgent", ms >= 0 && ms < 3600000);
    }
  }

  function printLabel() {
    document.body.classList.add("print-label-only");
    window.print();
    document.body.classList.remove("print-label-only");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("time[data-countdown]")) {
      tick();
      window.setInterval(tick, 15000);
    }
    var buttons = document.querySelectorAll("[data-print-label]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", printLabel);
    }
  });
})();
