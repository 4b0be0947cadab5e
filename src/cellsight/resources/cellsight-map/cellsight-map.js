/*
 * Cellsight's offline map layer: draws a case's fixes, tracks, cell sectors,
 * places and proximity occasions from one JSON document, with no network.
 *
 * Every string from the case (names, sites, notes, evidence, a base map's
 * attribution) reaches the page through textContent or an escaped layer name,
 * never as HTML: names come from a suspect's phone and may be crafted to run script.
 *
 * The page API
 * ------------
 * cellsightMap.draw, given the Leaflet map and the document, draws it and returns
 * window.cellsight:
 *
 *   cellsight.version              2
 *   cellsight.map / .data / .layers   the Leaflet map, the document, the layers by name
 *   cellsight.show(name, visible)  turn a layer on or off
 *   cellsight.fit()                frame everything; cellsight.fitTo(s, w, n, e) frame a box
 *                                  (clear of the legend's corner)
 *   cellsight.foldLegend(folded)   fold the legend to one word, or unfold it
 *   cellsight.focusOccasion(label) one occasion only: its number is the only one shown and the
 *                                  other rings fade, the legend folds; null shows them all again
 *   cellsight.bounds()             the view as [south, west, north, east]
 *   cellsight.highlight(state)     show a selection in place, without redrawing:
 *       state.fixes      one entry per subject (in data.subjects order): null for "all of
 *                        them", or a string of "0"/"1", one per fix in the document's order
 *       state.sites      null, or the cell keys selected
 *       state.occasions  null, or the labels of the occasions selected
 *     Unselected fixes, track stretches, sites, sectors and occasions fade; selected fixes
 *     grow and come to the front; the track through consecutive selected fixes (of one
 *     run, see data.subjects[i].points.run) is drawn bold over the faded track.
 *     highlight(null) shows everything as drawn.
 *   cellsight.state()              what the map shows now, read back from the layers'
 *                                  own styles (for tests and the workstation):
 *       {selection, subjects: [{name, fixes, selected, faded, track_opacity, highlight_lines}],
 *        sites: {total, selected, faded}, occasions: {total, selected, faded},
 *        labels: [occasion label texts shown], focus: the occasion focused on or null,
 *        legend_folded, basemap: {shown, attribution, minzoom, maxzoom}}
 *   cellsight.onFixClick(fn)       fn(subjectIndex, fixIndex) when a fix is clicked
 *   cellsight.onSiteClick(fn)      fn(lat, lon, key) when a cell site is clicked
 *
 * Occasion numbers do not pile up: occasions whose rings fall within a label's room of
 * each other at the current zoom share one label ("1, 4–6"), laid out again on zoom.
 *
 * Licence: GPL-3.0-or-later, part of Cellsight.
 */
(function (global) {
  "use strict";

  var FADED = {fill: 0.08, stroke: 0.15};
  var LABEL_ROOM = {x: 44, y: 22};  // pixels: occasions closer than this share a label

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  // A small SVG symbol for the legend, built as DOM nodes (no markup strings).
  function symbol(kind, colour) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "14");
    svg.setAttribute("class", "cs-symbol");
    function add(tag, attrs) {
      var node = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      svg.appendChild(node);
    }
    if (kind === "subject") {
      add("line", {x1: 1, y1: 7, x2: 17, y2: 7, stroke: colour, "stroke-width": 2, "stroke-opacity": 0.6});
      add("circle", {cx: 9, cy: 7, r: 4, fill: colour, stroke: "#fff", "stroke-width": 1});
    } else if (kind === "site") {
      add("circle", {cx: 9, cy: 7, r: 4.5, fill: colour, stroke: "#fff", "stroke-width": 1});
    } else if (kind === "wedge") {
      add("path", {d: "M3 12 L15 3 A12 12 0 0 1 17 12 Z", fill: colour, "fill-opacity": 0.15, stroke: colour,
        "stroke-width": 1});
    } else if (kind === "place") {
      add("circle", {cx: 9, cy: 7, r: 5.5, fill: colour, "fill-opacity": 0.15, stroke: colour, "stroke-width": 2});
    } else if (kind === "occasion") {
      add("circle", {cx: 9, cy: 7, r: 5, fill: "none", stroke: colour, "stroke-width": 3});
    }
    return svg;
  }

  // A popup body: a title and rows of label/value, all as text nodes.
  function card(title, rows) {
    var box = el("div", "cs-card");
    box.appendChild(el("div", "cs-card-title", title));
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      var line = el("div", "cs-card-row");
      line.appendChild(el("span", "cs-card-key", row[0] + ": "));
      line.appendChild(el("span", "cs-card-value", row[1]));
      box.appendChild(line);
    });
    return box;
  }

  function niceStep(span) {
    var raw = span / 5, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var factors = [1, 2, 5, 10];
    for (var i = 0; i < factors.length; i++) {
      if (raw <= factors[i] * power) { return factors[i] * power; }
    }
    return 10 * power;
  }

  // The offline background: a latitude/longitude graticule redrawn as the view moves.
  function graticule(map) {
    var group = L.layerGroup();
    function redraw() {
      if (!map.hasLayer(group)) { return; }
      group.clearLayers();
      var b = map.getBounds(), s = b.getSouth(), n = b.getNorth(), w = b.getWest(), e = b.getEast();
      var step = niceStep(Math.min(n - s, e - w));
      var decimals = Math.max(0, -Math.floor(Math.log10(step)));
      var style = {color: "#b9b4a8", weight: 1, interactive: false};
      for (var lon = Math.ceil(w / step) * step; lon < e; lon += step) {
        group.addLayer(L.polyline([[s, lon], [n, lon]], style));
        group.addLayer(L.marker([s, lon], {interactive: false, icon: L.divIcon({
          className: "cs-grid-label", html: esc(lon.toFixed(decimals) + "\u00b0"), iconAnchor: [-2, 16]})}));
      }
      for (var lat = Math.ceil(s / step) * step; lat < n; lat += step) {
        group.addLayer(L.polyline([[lat, w], [lat, e]], style));
        group.addLayer(L.marker([lat, w], {interactive: false, icon: L.divIcon({
          className: "cs-grid-label", html: esc(lat.toFixed(decimals) + "\u00b0"), iconAnchor: [-2, 14]})}));
      }
    }
    map.on("moveend zoomend resize", redraw);
    group.on("add", redraw);
    return group;
  }

  // The base map: tiles put into the page (a self-contained file) or served to it (the workstation).
  function baseLayer(spec) {
    var options = {attribution: esc(spec.attribution || ""), maxZoom: 20, errorTileUrl: L.Util.emptyImageUrl};
    if (spec.minzoom !== null && spec.minzoom !== undefined) { options.minNativeZoom = spec.minzoom; }
    if (spec.maxzoom !== null && spec.maxzoom !== undefined) { options.maxNativeZoom = spec.maxzoom; }
    if (spec.tiles) {
      var Embedded = L.TileLayer.extend({
        getTileUrl: function (c) { return spec.tiles[c.z + "/" + c.x + "/" + c.y] || L.Util.emptyImageUrl; }
      });
      return new Embedded("", options);
    }
    return L.tileLayer(spec.url, options);
  }

  function subjectLayers(subject, renderer) {
    var fixes = L.featureGroup(), tracks = L.featureGroup(), markers = [], lines = [];
    var p = subject.points;
    for (var i = 0; i < p.lat.length; i++) {
      var aggregated = p.count && p.count[i] > 1;
      var marker = L.circleMarker([p.lat[i], p.lon[i]], {
        renderer: renderer, radius: aggregated ? Math.min(4 + 2 * Math.log2(p.count[i]), 16) : 4,
        color: "#ffffff", weight: 1, fillColor: subject.colour, fillOpacity: 0.85});
      marker.bindPopup((function (k) {
        return function () {
          if (p.count && p.count[k] > 1) {
            return card(subject.name, [["fixes here", p.count[k]], ["first", p.first[k]], ["last", p.last[k]]]);
          }
          return card(subject.name, [["time", p.time[k]], ["position", p.lat[k] + ", " + p.lon[k]],
            ["accuracy (m)", p.accuracy[k]], ["origin", p.origin[k]], ["source", p.source[k]],
            ["row", p.row[k]]]);
        };
      })(i));
      fixes.addLayer(marker);
      markers.push(marker);
    }
    subject.tracks.forEach(function (line) {
      var drawn = L.polyline(line, {renderer: renderer, color: subject.colour, weight: 2, opacity: 0.6,
        interactive: false});
      tracks.addLayer(drawn);
      lines.push(drawn);
    });
    return {fixes: fixes, tracks: tracks, markers: markers, lines: lines, bold: []};
  }

  function cellLayer(cells, renderer) {
    var group = L.featureGroup(), sites = [], wedges = [];
    cells.forEach(function (c) {
      var wedge = null;
      if (c.polygon) {
        wedge = L.polygon(c.polygon, {renderer: renderer, color: "#37474f", weight: 1,
          fillColor: "#37474f", fillOpacity: 0.08, opacity: 1, interactive: false});
        group.addLayer(wedge);
      }
      wedges.push(wedge);
      var site = L.circleMarker([c.lat, c.lon], {renderer: renderer, radius: 5, color: "#ffffff", weight: 1,
        fillColor: "#37474f", fillOpacity: 1});
      site.bindPopup(function () {
        return card("Cell " + c.key, [["site", c.site], ["azimuth", c.azimuth], ["beamwidth", c.beamwidth],
          ["drawn to (m)", c.drawn_m], ["events", c.events], ["used by", c.subjects],
          ["note", "the wedge shows where the cell points; it is not coverage"]]);
      });
      group.addLayer(site);
      sites.push(site);
    });
    return {group: group, sites: sites, wedges: wedges};
  }

  function placeLayer(places) {
    var group = L.featureGroup();
    places.forEach(function (p) {
      var circle = L.circle([p.lat, p.lon], {radius: p.radius_m, color: "#7b1fa2", weight: 2,
        fillColor: "#7b1fa2", fillOpacity: 0.12});
      circle.bindPopup(function () {
        return card(p.name, [["position", p.lat + ", " + p.lon], ["radius (m)", p.radius_m], ["note", p.note]]);
      });
      circle.bindTooltip(function () { return el("span", "", p.name); }, {permanent: true, direction: "right"});
      group.addLayer(circle);
    });
    return group;
  }

  // "1, 3–5, 9" for labels that are whole numbers in a row; other labels as they are.
  function labelList(labels) {
    var parts = [], i = 0;
    while (i < labels.length) {
      var j = i;
      while (j + 1 < labels.length && /^\d+$/.test(labels[j]) && /^\d+$/.test(labels[j + 1]) &&
             +labels[j + 1] === +labels[j] + 1) { j++; }
      parts.push(j > i + 1 ? labels[i] + "\u2013" + labels[j] : (j === i + 1 ? labels[i] + ", " + labels[j] : labels[i]));
      i = j + 1;
    }
    return parts.join(", ");
  }

  function occasionLayer(map, occasions, renderer) {
    var group = L.featureGroup(), labels = L.layerGroup(), rings = [], shown = [], only = null;
    occasions.forEach(function (o) {
      // A ring, as on the PDF's maps: the fixes that made the occasion stay visible inside it.
      var ring = L.circleMarker([o.lat, o.lon], {renderer: renderer, radius: 13, color: "#ffb300", weight: 4,
        fillColor: "#ffb300", fillOpacity: 0.12, opacity: 1});
      ring.bindPopup(function () {
        return card("Occasion " + o.label, [["between", o.pair], ["start", o.start], ["end", o.end],
          ["hits", o.hits], ["closest (m)", o.min_distance_m], ["evidence", o.evidence]]);
      });
      group.addLayer(ring);
      rings.push(ring);
    });
    group.addLayer(labels);
    // Occasions close together at this zoom share one label, placed above the first of them.
    function layout() {
      labels.clearLayers();
      shown.length = 0;
      if (!map.hasLayer(group)) { return; }
      var clusters = [];
      occasions.forEach(function (o, i) {
        if (only !== null && String(o.label) !== only) { return; }  // focused on one occasion: its number only
        var at = map.latLngToLayerPoint([o.lat, o.lon]);
        var home = null;
        for (var k = 0; k < clusters.length && !home; k++) {
          var d = clusters[k].at.subtract(at);
          if (Math.abs(d.x) <= LABEL_ROOM.x && Math.abs(d.y) <= LABEL_ROOM.y) { home = clusters[k]; }
        }
        if (home) { home.members.push(i); } else { clusters.push({at: at, members: [i]}); }
      });
      clusters.forEach(function (cluster) {
        var first = occasions[cluster.members[0]];
        var text = labelList(cluster.members.map(function (i) { return String(occasions[i].label); }));
        var icon = L.divIcon({className: "cs-occasion-label", html: esc(text), iconSize: null,
          iconAnchor: [-9, 26]});
        labels.addLayer(L.marker([first.lat, first.lon], {icon: icon, interactive: false, keyboard: false}));
        shown.push(text);
      });
    }
    map.on("zoomend", layout);
    group.on("add", layout);
    function focus(label) {
      only = label === null || label === undefined ? null : String(label);
      layout();
    }
    return {group: group, rings: rings, labels: shown, layout: layout, focus: focus,
      focused: function () { return only; }};
  }

  function legendRow(box, kind, colour, text) {
    var row = el("div", "cs-legend-row");
    row.appendChild(symbol(kind, colour));
    row.appendChild(el("span", "", text));
    box.appendChild(row);
  }

  function legend(data) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "cs-legend");
      var head = el("div", "cs-legend-head");
      head.appendChild(el("span", "cs-legend-title", data.title));
      // Folds the legend to one word, for a small map where it would hide what it explains.
      var toggle = el("button", "cs-legend-toggle", "\u2013");
      toggle.title = "Fold or unfold the legend";
      toggle.onclick = function () {
        var folded = box.classList.toggle("cs-legend-folded");
        toggle.textContent = folded ? "Legend \u25B8" : "\u2013";
      };
      head.appendChild(toggle);
      box.appendChild(head);
      if (data.subtitle) { box.appendChild(el("div", "cs-legend-sub", data.subtitle)); }
      data.subjects.forEach(function (s) {
        legendRow(box, "subject", s.colour, s.name + " (" + s.role + "): " + s.summary);
      });
      var cells = data.cells.length;
      if (cells) {
        legendRow(box, "site", "#37474f", "cell sites used (" + cells + " cell" + (cells === 1 ? "" : "s") + ")");
        if (data.cells.some(function (c) { return c.polygon; })) {
          legendRow(box, "wedge", "#37474f", "sector direction (nominal length, not coverage)");
        }
      }
      if (data.places.length) {
        legendRow(box, "place", "#7b1fa2", "place and its radius: " +
          data.places.map(function (p) { return p.name; }).join(", "));
      }
      if (data.occasions.length) {
        legendRow(box, "occasion", "#ffb300", "proximity occasion (numbered, as in the table)");
      }
      data.notes.forEach(function (note) { box.appendChild(el("div", "cs-legend-note", note)); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }

  function setFix(marker, on, emphasise) {
    marker.setStyle({fillOpacity: on ? (emphasise ? 0.95 : 0.85) : FADED.fill, opacity: on ? 1 : FADED.stroke});
    if (!marker.options._fullRadius) { marker.options._fullRadius = marker.options.radius; }
    marker.setRadius(on && emphasise ? marker.options._fullRadius + 1.5 : marker.options._fullRadius);
    if (on && emphasise) { marker.bringToFront(); }
  }

  function draw(map, data) {
    var renderer = L.canvas({padding: 0.5});
    map.attributionControl.setPrefix("Leaflet (offline)");
    map.getContainer().style.background = "#f6f4ee";
    var overlays = {}, layers = {}, handlers = {fix: null, site: null}, selection = false;
    function add(name, layer, on) {
      overlays[esc(name)] = layer;
      layers[name] = layer;
      if (on) { layer.addTo(map); }
    }
    add("Grid (degrees)", graticule(map), !data.basemap);
    var base = data.basemap ? baseLayer(data.basemap) : null;
    if (base) {
      add("Base map", base, true);
      base.bringToBack();
    }
    var cells = cellLayer(data.cells, renderer);
    if (data.cells.length) { add("Cell sites and sectors (" + data.cells.length + ")", cells.group, true); }
    if (data.places.length) { add("Places (" + data.places.length + ")", placeLayer(data.places), true); }
    var drawn = data.subjects.map(function (s) {
      var parts = subjectLayers(s, renderer);
      add(s.name + ": track", parts.tracks, true);
      add(s.name + ": fixes", parts.fixes, true);
      return parts;
    });
    var occasions = occasionLayer(map, data.occasions, renderer);
    if (data.occasions.length) {
      add("Proximity occasions (" + data.occasions.length + ")", occasions.group, true);
    }
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    var key = legend(data).addTo(map);
    // Framing a detail (an occasion, a fix) leaves the legend's corner free, along whichever side
    // costs the map less; the whole case is framed as it is, the legend over its edge.
    function framing(padding) {
      var box = key.getContainer(), size = map.getSize();
      if (!box || box.classList.contains("cs-legend-folded") || !size.x || !size.y) {
        return {padding: [padding, padding]};
      }
      var w = box.offsetWidth + 10, h = box.offsetHeight + 10;
      return {paddingTopLeft: [padding, padding],
        paddingBottomRight: w / size.x < h / size.y ? [padding + w, padding] : [padding, padding + h]};
    }
    if (data.bounds) { map.fitBounds(data.bounds, {padding: [20, 20]}); }
    occasions.layout();

    drawn.forEach(function (parts, i) {
      parts.markers.forEach(function (m, k) {
        m.on("click", function () { if (handlers.fix) { handlers.fix(i, k); } });
      });
    });
    cells.sites.forEach(function (m, i) {
      var c = data.cells[i];
      m.on("click", function () { if (handlers.site) { handlers.site(c.lat, c.lon, c.key); } });
    });

    function highlightSubject(s, parts, bits) {
      parts.bold.forEach(function (line) { parts.tracks.removeLayer(line); });
      parts.bold = [];
      var all = bits === null || bits === undefined;
      parts.markers.forEach(function (m, k) { setFix(m, all || bits.charAt(k) === "1", !all); });
      parts.lines.forEach(function (line) { line.setStyle({opacity: all ? 0.6 : FADED.stroke}); });
      if (all || !s.points.run) { return; }
      // Bold lines through consecutive selected fixes of one run (no line across a gap in the record).
      var p = s.points, run = [];
      function flush() {
        if (run.length > 1) {
          var line = L.polyline(run, {renderer: renderer, color: s.colour, weight: 3.5, opacity: 0.95,
            interactive: false});
          parts.tracks.addLayer(line);
          parts.bold.push(line);
        }
        run = [];
      }
      for (var k = 0; k < p.lat.length; k++) {
        if (bits.charAt(k) !== "1" || (k > 0 && p.run[k] !== p.run[k - 1])) { flush(); }
        if (bits.charAt(k) === "1") { run.push([p.lat[k], p.lon[k]]); }
      }
      flush();
    }

    // An occasion's ring stands out when the selection touches it and, if one occasion is focused
    // on, only when it is that one.
    var chosenOccasions = null;
    function styleRings() {
      var only = occasions.focused();
      occasions.rings.forEach(function (ring, i) {
        var label = String(data.occasions[i].label);
        var on = (chosenOccasions === null || chosenOccasions.has(label)) && (only === null || only === label);
        ring.setStyle({opacity: on ? 1 : 0.2, fillOpacity: on ? 0.12 : 0.02});
      });
    }

    var api = {
      version: 2, map: map, layers: layers, data: data,
      show: function (name, visible) {
        var layer = layers[name];
        if (!layer) { return false; }
        if (visible) { layer.addTo(map); } else { map.removeLayer(layer); }
        return true;
      },
      fit: function () { if (data.bounds) { map.fitBounds(data.bounds, {padding: [20, 20]}); } },
      fitTo: function (s, w, n, e) {
        map.fitBounds([[s, w], [n, e]], L.extend(framing(30), {maxZoom: 17}));
      },
      foldLegend: function (folded) {
        var box = key.getContainer();
        if (box.classList.contains("cs-legend-folded") !== !!folded) { box.querySelector(".cs-legend-toggle").click(); }
        return box.classList.contains("cs-legend-folded");
      },
      bounds: function () {
        var b = map.getBounds();
        return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()];
      },
      highlight: function (state) {
        state = state || {};
        var fixes = state.fixes || [];
        drawn.forEach(function (parts, i) { highlightSubject(data.subjects[i], parts, fixes[i]); });
        var keys = state.sites ? new Set(state.sites) : null;
        cells.sites.forEach(function (m, i) {
          var on = keys === null || keys.has(data.cells[i].key);
          m.setStyle({fillOpacity: on ? 1 : 0.12, opacity: on ? 1 : 0.2, radius: on && keys ? 7 : 5});
          if (cells.wedges[i]) {
            cells.wedges[i].setStyle({fillOpacity: on ? (keys ? 0.16 : 0.08) : 0.02, opacity: on ? 1 : 0.15});
          }
        });
        chosenOccasions = state.occasions ? new Set(state.occasions.map(String)) : null;
        styleRings();
        selection = fixes.some(function (b) { return b !== null && b !== undefined; }) || !!keys ||
          !!chosenOccasions;
        return true;
      },
      focusOccasion: function (label) {
        occasions.focus(label);
        styleRings();
        if (occasions.focused() !== null) { api.foldLegend(true); }
        return occasions.labels.slice();
      },
      state: function () {
        function count(list, faded) {
          var n = 0;
          list.forEach(function (m) { if (m && faded(m.options)) { n++; } });
          return n;
        }
        var isFadedFix = function (o) { return o.fillOpacity < 0.5; };
        var siteFaded = count(cells.sites, function (o) { return o.fillOpacity < 0.5; });
        var ringFaded = count(occasions.rings, function (o) { return o.opacity < 0.5; });
        return {
          selection: selection,
          subjects: drawn.map(function (parts, i) {
            var faded = count(parts.markers, isFadedFix);
            return {name: data.subjects[i].name, fixes: parts.markers.length, faded: faded,
              selected: parts.markers.length - faded,
              track_opacity: parts.lines.length ? parts.lines[0].options.opacity : null,
              highlight_lines: parts.bold.length};
          }),
          sites: {total: cells.sites.length, faded: siteFaded, selected: cells.sites.length - siteFaded},
          occasions: {total: occasions.rings.length, faded: ringFaded, selected: occasions.rings.length - ringFaded},
          labels: occasions.labels.slice(),
          focus: occasions.focused(),
          legend_folded: key.getContainer().classList.contains("cs-legend-folded"),
          basemap: {shown: !!(base && map.hasLayer(base)), attribution: data.basemap ? data.basemap.attribution : null,
            minzoom: data.basemap ? data.basemap.minzoom : null, maxzoom: data.basemap ? data.basemap.maxzoom : null}
        };
      },
      onFixClick: function (fn) { handlers.fix = fn; },
      onSiteClick: function (fn) { handlers.site = fn; }
    };
    global.cellsight = api;
    return api;
  }

  global.cellsightMap = {draw: draw, esc: esc, labelList: labelList};
})(window);
