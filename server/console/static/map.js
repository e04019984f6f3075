/* The console's map (/console/map): the reader's points from /console/map/features drawn
   with MapLibre GL JS (its CSP build, worker served by the app) over the configured base
   map: online raster tiles, an offline PMTiles file (raster or a Protomaps vector build)
   through the pmtiles protocol, or a plain background. Points are clustered; a cluster
   zooms in, a point opens a popup that links to its record. The server sends the points
   already in the base map's datum.
   On an item's page the same script draws one site (data-point="lon,lat", already in the
   base map's datum, and data-colour) on a small map, without fetching or popups.
   On a site's form (data-pick="latId,lonId") a click on the map puts its WGS-84
   coordinates into the two fields and a marker on the spot; typed coordinates move the
   marker. The form works without this script: the fields are typed. */
(function () {
  "use strict";

  var el = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  if (!el) return;
  var single = el.dataset.point ? el.dataset.point.split(",").map(Number) : null;
  var pick = el.dataset.pick ? el.dataset.pick.split(",") : null;

  var COLOURS = { red: "#c62828", yellow: "#f9a825", green: "#2e7d32", none: "#607d8b" };
  var RADIUS = { site: 8, item: 7, finding: 6, visit: 5 };
  var BACKGROUND = "#eef1f4";

  function say(text) {
    if (statusEl) statusEl.textContent = text;
  }

  function absolute(url) {
    return new URL(url, window.location.href).href;
  }

  // ---- the base map ----

  function vectorLayers() {
    // A quiet style for a Protomaps basemap build (no labels: glyphs are not bundled).
    var src = "base";
    return [
      { id: "earth", type: "fill", source: src, "source-layer": "earth", paint: { "fill-color": "#f4f2ee" } },
      { id: "landcover", type: "fill", source: src, "source-layer": "landcover", paint: { "fill-color": "#e3ecd9", "fill-opacity": 0.7 } },
      { id: "landuse", type: "fill", source: src, "source-layer": "landuse", paint: { "fill-color": "#ece7dd", "fill-opacity": 0.6 } },
      { id: "water", type: "fill", source: src, "source-layer": "water", paint: { "fill-color": "#b9d3e9" } },
      { id: "buildings", type: "fill", source: src, "source-layer": "buildings", minzoom: 14, paint: { "fill-color": "#dcd6cc" } },
      { id: "roads", type: "line", source: src, "source-layer": "roads", paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.5, 16, 6] } },
      { id: "boundaries", type: "line", source: src, "source-layer": "boundaries", paint: { "line-color": "#9e9cab", "line-dasharray": [3, 2], "line-width": 1 } },
    ];
  }

  function baseStyle(base) {
    var style = {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": BACKGROUND } }],
    };
    if (base.kind === "tiles") {
      style.sources.base = { type: "raster", tiles: [base.url], tileSize: 256 };
      style.layers.push({ id: "base", type: "raster", source: "base" });
    } else if (base.kind === "raster-pmtiles") {
      style.sources.base = { type: "raster", url: "pmtiles://" + base.url, tileSize: 256 };
      style.layers.push({ id: "base", type: "raster", source: "base" });
    } else if (base.kind === "vector-pmtiles") {
      style.sources.base = { type: "vector", url: "pmtiles://" + base.url };
      style.layers = style.layers.concat(vectorLayers());
    }
    return style;
  }

  // The PMTiles header says what the file holds: 1 vector tiles, 2–5 images.
  function resolveBase() {
    var kind = el.dataset.baseKind;
    var url = el.dataset.baseUrl;
    if (kind !== "pmtiles") return Promise.resolve({ kind: kind, url: url });
    if (!window.pmtiles) return Promise.resolve({ kind: "none" });
    var protocol = new pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", protocol.tile);
    var archive = new pmtiles.PMTiles(absolute(url));
    protocol.add(archive);
    return archive.getHeader().then(
      function (header) {
        return {
          kind: header.tileType === 1 ? "vector-pmtiles" : "raster-pmtiles",
          url: archive.source.getKey(),
          header: header,
        };
      },
      function () {
        say("底图文件无法读取,仅显示点位");
        return { kind: "none" };
      }
    );
  }

  // ---- the points ----

  var worst = ["case",
    [">", ["get", "red"], 0], COLOURS.red,
    [">", ["get", "yellow"], 0], COLOURS.yellow,
    [">", ["get", "green"], 0], COLOURS.green,
    COLOURS.none];

  function addPoints(map) {
    map.addSource("points", {
      type: "geojson",
      data: { type: "FeatureCollection", features: [] },
      cluster: true,
      clusterRadius: 40,
      clusterMaxZoom: 15,
      clusterProperties: {
        red: ["+", ["case", ["==", ["get", "colour"], "red"], 1, 0]],
        yellow: ["+", ["case", ["==", ["get", "colour"], "yellow"], 1, 0]],
        green: ["+", ["case", ["==", ["get", "colour"], "green"], 1, 0]],
      },
    });
    map.addLayer({
      id: "clusters",
      type: "circle",
      source: "points",
      filter: ["has", "point_count"],
      paint: {
        "circle-color": worst,
        "circle-opacity": 0.85,
        "circle-radius": ["step", ["get", "point_count"], 14, 10, 18, 100, 24, 1000, 30],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    });
    map.addLayer({
      id: "points",
      type: "circle",
      source: "points",
      filter: ["!", ["has", "point_count"]],
      paint: {
        "circle-color": ["match", ["get", "colour"], "red", COLOURS.red, "yellow", COLOURS.yellow, "green", COLOURS.green, COLOURS.none],
        "circle-radius": ["match", ["get", "layer"], "site", RADIUS.site, "item", RADIUS.item, "finding", RADIUS.finding, RADIUS.visit],
        "circle-stroke-color": ["match", ["get", "layer"], "site", "#1a237e", "finding", "#000000", "#ffffff"],
        "circle-stroke-width": 2,
      },
    });
  }

  // Cluster counts as small HTML labels (text layers would need glyphs from the internet).
  var labels = {};
  function drawClusterLabels(map) {
    var seen = {};
    map.querySourceFeatures("points").forEach(function (f) {
      var p = f.properties;
      if (!p.cluster) return;
      seen[p.cluster_id] = true;
      var marker = labels[p.cluster_id];
      if (!marker) {
        var span = document.createElement("span");
        span.className = "map-cluster-count";
        span.textContent = p.point_count_abbreviated;
        marker = new maplibregl.Marker({ element: span }).setLngLat(f.geometry.coordinates);
        labels[p.cluster_id] = marker;
      }
      if (!marker._onMap) {
        marker.addTo(map);
        marker._onMap = true;
      }
    });
    Object.keys(labels).forEach(function (id) {
      if (!seen[id] && labels[id]._onMap) {
        labels[id].remove();
        labels[id]._onMap = false;
      }
    });
  }

  function popupContent(features) {
    var box = document.createElement("div");
    box.className = "map-popup";
    features.slice(0, 8).forEach(function (f) {
      var p = f.properties;
      var entry = document.createElement("div");
      entry.className = "map-popup-entry";
      var head = document.createElement("p");
      var badge = document.createElement("span");
      badge.className = "map-badge map-badge-" + p.colour;
      badge.textContent = p.layer_label + " · " + p.colour_label;
      head.appendChild(badge);
      entry.appendChild(head);
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.title;
      var title = document.createElement("p");
      title.className = "map-popup-title";
      title.appendChild(link);
      entry.appendChild(title);
      if (p.detail) {
        var detail = document.createElement("p");
        detail.className = "map-popup-detail";
        detail.textContent = p.detail;
        entry.appendChild(detail);
      }
      box.appendChild(entry);
    });
    if (features.length > 8) {
      var more = document.createElement("p");
      more.textContent = "另有 " + (features.length - 8) + " 项,请放大查看";
      box.appendChild(more);
    }
    return box;
  }

  function fit(map, data) {
    var coords = data.features.map(function (f) { return f.geometry.coordinates; });
    if (!coords.length) return;
    var bounds = coords.reduce(function (b, c) { return b.extend(c); },
      new maplibregl.LngLatBounds(coords[0], coords[0]));
    map.fitBounds(bounds, { padding: 48, maxZoom: 15, duration: 0 });
  }

  function loadPoints(map) {
    say("正在加载…");
    return fetch(el.dataset.features, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        map.getSource("points").setData(data);
        fit(map, data);
        var text = data.features.length ? "共 " + data.features.length + " 个点" : "没有符合条件的点位";
        if (data.truncated && data.truncated.length) text += "(点数过多,部分图层未全部显示)";
        say(text);
        el.dataset.points = String(data.features.length);
        map.once("idle", function () {
          drawClusterLabels(map);
          el.dataset.ready = "1";
        });
      })
      .catch(function () {
        say("点位加载失败,请刷新重试");
        el.dataset.ready = "error";
      });
  }

  function showPoint(map) {
    map.getSource("points").setData({
      type: "FeatureCollection",
      features: [{
        type: "Feature",
        geometry: { type: "Point", coordinates: single },
        properties: { layer: "site", colour: el.dataset.colour || "none", title: el.dataset.title || "" },
      }],
    });
    el.dataset.points = "1";
    map.once("idle", function () { el.dataset.ready = "1"; });
  }

  // ---- picking a place (a site's form) ----

  // GCJ-02 as server/maps/coords.py has it: only a base map in GCJ-02 needs the shift.
  function outOfChina(lat, lon) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }

  function gcjOffset(lat, lon) {
    var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
    var x = lon - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    var wave = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += wave + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2 / 3;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2 / 3;
    dLon += wave + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2 / 3;
    dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2 / 3;
    var rad = lat / 180.0 * PI;
    var magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * Math.sqrt(magic)) * PI);
    dLon = (dLon * 180.0) / (A / Math.sqrt(magic) * Math.cos(rad) * PI);
    return [dLat, dLon];
  }

  function toBaseMap(lat, lon) {
    if (el.dataset.datum !== "gcj02" || outOfChina(lat, lon)) return [lat, lon];
    var d = gcjOffset(lat, lon);
    return [lat + d[0], lon + d[1]];
  }

  function toWgs84(lat, lon) {
    if (el.dataset.datum !== "gcj02" || outOfChina(lat, lon)) return [lat, lon];
    var wLat = lat, wLon = lon;
    for (var i = 0; i < 30; i++) {
      var g = toBaseMap(wLat, wLon), dLat = g[0] - lat, dLon = g[1] - lon;
      wLat -= dLat;
      wLon -= dLon;
      if (Math.abs(dLat) < 1e-10 && Math.abs(dLon) < 1e-10) break;
    }
    return [wLat, wLon];
  }

  function setupPick(map) {
    var latInput = document.getElementById(pick[0]);
    var lonInput = document.getElementById(pick[1]);
    var marker = null;
    function place(lngLat) {
      if (!marker) marker = new maplibregl.Marker({ color: "#b71c1c" }).setLngLat(lngLat).addTo(map);
      else marker.setLngLat(lngLat);
    }
    if (single) place(single);
    map.getCanvas().style.cursor = "crosshair";
    map.on("click", function (e) {
      var p = toWgs84(e.lngLat.lat, e.lngLat.lng);
      latInput.value = p[0].toFixed(6);
      lonInput.value = p[1].toFixed(6);
      place(e.lngLat);
      say("已选点:纬度 " + latInput.value + ",经度 " + lonInput.value);
      el.dataset.picked = "1";
    });
    function typed() {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) return;
      var q = toBaseMap(lat, lon);
      place([q[1], q[0]]);
      map.easeTo({ center: [q[1], q[0]] });
    }
    latInput.addEventListener("change", typed);
    lonInput.addEventListener("change", typed);
    el.dataset.ready = "1";
  }

  function start(base) {
    var map;
    try {
      map = new maplibregl.Map({
        container: el,
        style: baseStyle(base),
        center: single || [106.97, 26.45],
        zoom: single ? 14 : 9,
        maxZoom: 18,
        attributionControl: false,
        cooperativeGestures: false,
      });
    } catch (error) {
      say("此浏览器无法显示地图(需要 WebGL)");
      el.dataset.ready = "error";
      return;
    }
    window.zhichaMap = map;
    el.dataset.base = base.kind;
    if (base.header && base.header.maxZoom) map.setMaxZoom(Math.max(base.header.maxZoom + 3, 15));
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-left");
    map.on("load", function () {
      addPoints(map);
      if (pick) setupPick(map);
      else if (single) showPoint(map);
      else loadPoints(map);
    });
    if (single || pick) return;
    map.on("moveend", function () { drawClusterLabels(map); });
    map.on("sourcedata", function (e) {
      if (e.sourceId === "points" && e.isSourceLoaded) drawClusterLabels(map);
    });
    map.on("click", "clusters", function (e) {
      var feature = e.features[0];
      map.getSource("points").getClusterExpansionZoom(feature.properties.cluster_id).then(function (zoom) {
        map.easeTo({ center: feature.geometry.coordinates, zoom: zoom });
      });
    });
    map.on("click", "points", function (e) {
      var here = map.queryRenderedFeatures(e.point, { layers: ["points"] });
      new maplibregl.Popup({ maxWidth: "320px" })
        .setLngLat(here[0].geometry.coordinates)
        .setDOMContent(popupContent(here))
        .addTo(map);
    });
    ["clusters", "points"].forEach(function (layer) {
      map.on("mouseenter", layer, function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", layer, function () { map.getCanvas().style.cursor = ""; });
    });
  }

  if (!window.maplibregl) {
    say("地图组件未能加载");
    return;
  }
  maplibregl.setWorkerUrl(absolute(el.dataset.worker));
  resolveBase().then(start);
})();
