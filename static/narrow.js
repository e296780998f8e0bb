// Narrow screens (see site.css): wide tables read as cards, and charts and diagrams keep
// their text at a readable size, scrolling sideways in a box you can reach by keyboard.
(function () {
  "use strict";
  var MIN_TEXT_PX = 12;

  // Tables of five columns or more: label every cell with its column heading, and state the
  // table roles explicitly, because `display: block` makes some browsers forget them.
  function cardTable(table) {
    var head = table.tHead;
    if (!head || head.rows.length !== 1 || table.querySelector("[colspan], [rowspan]")) return;
    var headings = Array.prototype.map.call(head.rows[0].cells, function (cell) {
      return cell.textContent.replace(/\s+/g, " ").trim();
    });
    if (headings.length < 5) return;
    table.classList.add("cards-narrow");
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll("thead, tbody, tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      row.setAttribute("role", "row");
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        var header = cell.tagName === "TH";
        var scope = cell.getAttribute("scope");
        cell.setAttribute("role", header ? (scope === "row" ? "rowheader" : "columnheader") : "cell");
        if (row.parentNode !== head && !(header && scope === "row") && headings[index]) {
          cell.setAttribute("data-label", headings[index]);
        }
      });
    });
    var wrap = table.parentNode;
    if (wrap && wrap.classList && wrap.classList.contains("table-wrap")) wrap.classList.add("cards-narrow-wrap");
  }

  // A box that scrolls sideways, focusable so keyboard users can scroll it too.
  function scroller(element, label) {
    var box = document.createElement("div");
    box.className = "scroll-x";
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label + " (scrolls sideways)");
    element.parentNode.insertBefore(box, element);
    box.appendChild(element);
    return box;
  }

  // The width at which the SVG's smallest text is shown at MIN_TEXT_PX.
  function readableWidth(svg) {
    var box = svg.viewBox && svg.viewBox.baseVal;
    if (!box || !box.width) return 0;
    var smallest = Infinity;
    Array.prototype.forEach.call(svg.querySelectorAll("text"), function (text) {
      var size = parseFloat(text.getAttribute("font-size") || getComputedStyle(text).fontSize);
      if (size < smallest) smallest = size;
    });
    return smallest === Infinity ? 0 : Math.ceil((box.width * MIN_TEXT_PX) / smallest);
  }

  function fitChart(svg) {
    var needed = readableWidth(svg);
    if (!needed || svg.parentNode.classList.contains("scroll-x")) return;
    var label = (svg.querySelector("title") || {}).textContent || "Chart";
    scroller(svg, label);
    svg.style.minWidth = needed + "px";
  }

  // Diagrams in the content are SVG images with text of 18 units or more in a width of up to
  // about 760: shown at least 32rem wide (see site.css) they keep that text at 12 px or more.
  function fitDiagram(img) {
    if (img.closest(".scroll-x")) return;
    scroller(img, img.getAttribute("alt") ? "Diagram" : "Image");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("main table"), cardTable);
    Array.prototype.forEach.call(document.querySelectorAll("main svg.chart"), fitChart);
    Array.prototype.forEach.call(document.querySelectorAll('.prose img[src$=".svg"]'), fitDiagram);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
