/*
 * Cellsight's offline map layer: draws a case's fixes, tracks, cell sectors,
 * places and proximity occasions from one JSON document, with no network.
 *
 * Every string from the case (names, sites, notes, evidence) reaches the page
 * through textContent or an escaped layer name, never as HTML: names come from a
 * suspect's phone and may be crafted to run script.
 *
 * Licence: GPL-3.0-or-later, part of Cellsight.
 */
(function (global) {
  "use strict";

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

  function subjectLayers(data, subject, renderer) {
    var fixes = L.featureGroup(), tracks = L.featureGroup();
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
    }
    subject.tracks.forEach(function (line) {
      tracks.addLayer(L.polyline(line, {renderer: renderer, color: subject.colour, weight: 2, opacity: 0.6,
        interactive: false}));
    });
    return {fixes: fixes, tracks: tracks};
  }

  function cellLayer(cells, renderer) {
    var group = L.featureGroup();
    cells.forEach(function (c) {
      if (c.polygon) {
        group.addLayer(L.polygon(c.polygon, {renderer: renderer, color: "#37474f", weight: 1,
          fillColor: "#37474f", fillOpacity: 0.08, interactive: false}));
      }
      var site = L.circleMarker([c.lat, c.lon], {renderer: renderer, radius: 5, color: "#ffffff", weight: 1,
        fillColor: "#37474f", fillOpacity: 1});
      site.bindPopup(function () {
        return card("Cell " + c.key, [["site", c.site], ["azimuth", c.azimuth], ["beamwidth", c.beamwidth],
          ["drawn to (m)", c.drawn_m], ["events", c.events], ["used by", c.subjects],
          ["note", "the wedge shows where the cell points; it is not coverage"]]);
      });
      group.addLayer(site);
    });
    return group;
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

  function occasionLayer(occasions, renderer) {
    var group = L.featureGroup();
    occasions.forEach(function (o) {
      // A ring, as on the PDF's maps: the fixes that made the occasion stay visible inside it.
      var marker = L.circleMarker([o.lat, o.lon], {renderer: renderer, radius: 13, color: "#ffb300", weight: 4,
        fillColor: "#ffb300", fillOpacity: 0.12});
      marker.bindTooltip(function () { return el("b", "", o.label); },
        {permanent: true, direction: "top", offset: [0, -12], className: "cs-occasion-label"});
      marker.bindPopup(function () {
        return card("Occasion " + o.label, [["between", o.pair], ["start", o.start], ["end", o.end],
          ["hits", o.hits], ["closest (m)", o.min_distance_m], ["evidence", o.evidence]]);
      });
      group.addLayer(marker);
    });
    return group;
  }

  function legend(data) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "cs-legend");
      box.appendChild(el("div", "cs-legend-title", data.title));
      if (data.subtitle) { box.appendChild(el("div", "cs-legend-sub", data.subtitle)); }
      data.subjects.forEach(function (s) {
        var row = el("div", "cs-legend-row");
        var swatch = el("span", "cs-swatch");
        swatch.style.background = s.colour;
        row.appendChild(swatch);
        row.appendChild(el("span", "", s.name + " (" + s.role + "): " + s.summary));
        box.appendChild(row);
      });
      data.notes.forEach(function (note) { box.appendChild(el("div", "cs-legend-note", note)); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }

  function draw(map, data) {
    var renderer = L.canvas({padding: 0.5});
    map.attributionControl.setPrefix("Leaflet (offline)");
    map.getContainer().style.background = "#f6f4ee";
    var overlays = {}, layers = {};
    function add(name, layer, on) {
      overlays[esc(name)] = layer;
      layers[name] = layer;
      if (on) { layer.addTo(map); }
    }
    add("Grid (degrees)", graticule(map), true);
    if (data.cells.length) { add("Cell sites and sectors (" + data.cells.length + ")", cellLayer(data.cells, renderer), true); }
    if (data.places.length) { add("Places (" + data.places.length + ")", placeLayer(data.places), true); }
    data.subjects.forEach(function (s) {
      var drawn = subjectLayers(data, s, renderer);
      add(s.name + ": track", drawn.tracks, true);
      add(s.name + ": fixes", drawn.fixes, true);
    });
    if (data.occasions.length) {
      add("Proximity occasions (" + data.occasions.length + ")", occasionLayer(data.occasions, renderer), true);
    }
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    legend(data).addTo(map);
    if (data.bounds) { map.fitBounds(data.bounds, {padding: [20, 20]}); }
    global.cellsight = {map: map, layers: layers, data: data,
      show: function (name, visible) {
        var layer = layers[name];
        if (!layer) { return false; }
        if (visible) { layer.addTo(map); } else { map.removeLayer(layer); }
        return true;
      },
      fit: function () { if (data.bounds) { map.fitBounds(data.bounds, {padding: [20, 20]}); } }};
    return layers;
  }

  global.cellsightMap = {draw: draw, esc: esc};
})(window);
