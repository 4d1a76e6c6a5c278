// The app's map in the browser: draws a pydeck JSON spec with deck.gl (the bundle pydeck ships)
// and keeps each layer's geometry between Streamlit reruns. A quarter or measure change then
// sends new colours and tooltips, and deck.gl refreshes only those attributes instead of
// re-tessellating every boundary, which is what made st.pydeck_chart slow to redraw.
(function () {
  "use strict";
  const box = document.getElementById("map");
  // Nothing in the map's frame may scroll the page around it: on a shader compile error luma.gl
  // scrolls its log into view, which would scroll the host page too.
  Element.prototype.scrollIntoView = function () {};
  const send = (type, extra) =>
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, extra || {}), "*");

  if (!window.deck || !window.deck.Deck) {
    box.innerHTML = "<p id='fail'>The map could not be drawn: its deck.gl code did not load.</p>";
    send("streamlit:componentReady", {apiVersion: 1});
    return;
  }
  const classes = {};
  for (const [name, value] of Object.entries(window.deck)) {
    if (typeof value === "function" && /(Layer|View)$/.test(name)) classes[name] = value;
  }
  const converter = new window.deck.JSONConverter({
    configuration: new window.deck.JSONConfiguration({classes: classes}),
  });

  // Thin boundary lines as one non-instanced line list. deck.gl strokes a GeoJSON layer with an
  // instanced PathLayer (an instance per segment); where WebGL is drawn in software (SwiftShader,
  // as on a laptop or VM without a GPU) that costs 0.5-0.9 s a frame for the 26,000 segments of
  // every council, against 0.05 s for the fills. A line list draws the same edges 1 px wide.
  const BOUNDARY_VS = `#version 300 es
#define SHADER_NAME aam-boundary-vs
in vec3 positions;
void main(void) {
  geometry.worldPosition = positions;
  gl_Position = project_position_to_clipspace(positions, vec3(0.0), vec3(0.0), geometry.position);
}`;
  const boundaryFs = (rgba) => `#version 300 es
#define SHADER_NAME aam-boundary-fs
precision highp float;
out vec4 fragColor;
void main(void) {
  fragColor = vec4(${rgba.map((c) => (c / 255).toFixed(4)).join(", ")});
  fragColor.a *= layer.opacity;
}`;

  function segments(data) {
    const out = [];
    const ring = (points) => {
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1], b = points[i];
        out.push(a[0], a[1], 0, b[0], b[1], 0);
      }
    };
    for (const feature of data.features || []) {
      const g = feature.geometry || {};
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (const polygon of polygons) for (const points of polygon || []) ring(points || []);
    }
    return new Float32Array(out);
  }

  class BoundaryLayer extends window.deck.Layer {
    getShaders() {
      return super.getShaders({vs: BOUNDARY_VS, fs: boundaryFs(this.props.rgba), modules: [window.deck.project32]});
    }
    initializeState() {}
    updateState(params) {
      super.updateState(params);
      const {props, oldProps} = params;
      if (!this.state.model || props.data !== oldProps.data || String(props.rgba) !== String(oldProps.rgba)) {
        if (this.state.model) this.state.model.destroy();
        const positions = segments(props.data);
        const device = this.context.device;
        this.setState({model: new window.luma.Model(device, Object.assign(this.getShaders(), {
          id: props.id, topology: "line-list", isInstanced: false, vertexCount: positions.length / 3,
          bufferLayout: [{name: "positions", format: "float32x3"}],
          attributes: {positions: device.createBuffer({data: positions})},
        }))});
      }
    }
    draw() { this.state.model.draw(this.context.renderPass); }
    finalizeState(context) {
      super.finalizeState(context);
      if (this.state.model) this.state.model.destroy();
    }
  }
  BoundaryLayer.layerName = "BoundaryLayer";
  BoundaryLayer.defaultProps = {rgba: {type: "array", value: [255, 255, 255, 255]}, pickable: false};

  // A GeoJSON layer with thin constant-colour strokes: its fills as before, its edges as a line list.
  function thin(layer) {
    const p = layer.props;
    const width = typeof p.getLineWidth === "number" ? p.getLineWidth : NaN;
    const pixels = p.lineWidthUnits === "pixels" || p.lineWidthMinPixels >= width;
    if (layer.constructor.layerName !== "GeoJsonLayer" || !p.stroked || !Array.isArray(p.getLineColor)
        || !(width <= 1) || !pixels || !p.data || p.data.type !== "FeatureCollection") return [layer];
    const rgba = p.getLineColor.slice(0, 4);
    if (rgba.length === 3) rgba.push(255);
    rgba[3] = rgba[3] * Math.max(width, p.lineWidthMinPixels || 0, 0.5);
    return [layer.clone({stroked: false}),
            new BoundaryLayer({id: layer.id + "-edges", data: p.data, rgba: rgba, visible: p.visible})];
  }

  let map = null;          // the deck.gl instance, made on the first render
  let viewJson = "";       // the initial view last applied: a new one re-frames the map
  let tooltip = null;      // {html, style} with {field} placeholders, as st.pydeck_chart reads them
  let selectable = false;  // a click on an object selects it (the ward map opens the clicked ward)
  let clicks = 0;
  let version = 0;         // bumps every render: the update trigger for every accessor
  const kept = new Map();  // layer id -> {signature: its geometry key or JSON, data: the FeatureCollection drawn}

  // The same substitution as Streamlit's own pydeck chart: {field} from the object, else its properties.
  function fill(object, body) {
    return body.replace(/{(.*?)}/g, (match, name) => {
      if (Object.prototype.hasOwnProperty.call(object, name)) return object[name];
      const props = object.properties;
      if (props && Object.prototype.hasOwnProperty.call(props, name)) return props[name];
      return match;
    });
  }

  // The tooltip is drawn here rather than by deck.gl so it can flip to stay inside the frame:
  // a component's iframe clips anything that would overflow it.
  const tip = document.createElement("div");
  tip.id = "tip";
  tip.setAttribute("role", "tooltip");
  document.body.appendChild(tip);
  box.addEventListener("mouseleave", () => { tip.style.display = "none"; });

  function onClick(info) {
    if (!selectable || !info || !info.object || !info.layer) return;
    clicks += 1;  // a new value each click, so clicking the same ward twice still reaches the server
    const picked = {properties: info.object.properties || {}};
    send("streamlit:setComponentValue",
         {value: {selection: {objects: {[info.layer.id]: [picked]}}, click: clicks}, dataType: "json"});
  }

  function onHover(info) {
    if (!tooltip || !info || !info.object) { tip.style.display = "none"; return; }
    tip.removeAttribute("style");
    Object.assign(tip.style, tooltip.style || {});
    if (tooltip.html) tip.innerHTML = fill(info.object, tooltip.html);
    else tip.textContent = fill(info.object, tooltip.text || "");
    tip.style.display = "block";
    const gap = 12, w = tip.offsetWidth, h = tip.offsetHeight;
    const right = info.x + gap + w <= box.clientWidth;
    const below = info.y + gap + h <= box.clientHeight;
    tip.style.left = Math.max(0, right ? info.x + gap : info.x - gap - w) + "px";
    tip.style.top = Math.max(0, below ? info.y + gap : info.y - gap - h) + "px";
  }

  // Boundary geometry the server wrote to a file named by a keyed hash of it (ui/deck_component.py):
  // fetched once per key and kept, so a rerun sends only properties.
  const fetched = new Map();  // key -> Promise of the geometries, in feature order
  function geometries(key) {
    if (!/^[0-9a-f]{16,64}$/.test(key)) return Promise.reject(new Error("bad geometry key"));
    if (!fetched.has(key)) {
      const request = fetch("geometry/" + key + ".json").then((r) => {
        if (!r.ok) throw new Error("geometry " + key + ": HTTP " + r.status);
        return r.json();
      });
      request.catch(() => fetched.delete(key));  // a failed fetch is tried again next render
      fetched.set(key, request);
    }
    return fetched.get(key);
  }

  // A layer whose geometry is what it already draws keeps its data object (so deck.gl skips
  // tessellation); only the features' properties are swapped in.
  function reuse(id, data, loaded) {
    if (!data || data.type !== "FeatureCollection" || !Array.isArray(data.features)) return {data: data};
    const old = kept.get(id);
    let signature, build;
    if (data.geometryKey) {
      signature = "key:" + data.geometryKey;
      const shapes = loaded[data.geometryKey];
      build = () => ({type: "FeatureCollection", features: data.features.map((f, i) =>
        ({type: "Feature", geometry: shapes[i], properties: f.properties}))});
    } else {
      signature = JSON.stringify(data.features.map((f) => f.geometry));
      build = () => data;
    }
    if (old && old.signature === signature && old.data.features.length === data.features.length) {
      old.data.features.forEach((f, i) => { f.properties = data.features[i].properties; });
      return {data: old.data, same: true};
    }
    const fresh = build();
    kept.set(id, {signature: signature, data: fresh});
    return {data: fresh};
  }

  function layersOf(spec, loaded) {
    const raw = spec.layers || [];
    const datas = raw.map((layer) => layer.data);
    raw.forEach((layer) => { delete layer.data; });  // the converter would copy every feature
    const converted = converter.convert({layers: raw}).layers || [];
    const seen = new Set();
    const layers = converted.map((layer, i) => {
      const id = layer.id;
      seen.add(id);
      const {data, same} = reuse(id, datas[i], loaded);
      const props = {data: data};
      if (same) {
        const triggers = {};
        for (const name of Object.keys(raw[i])) if (name.startsWith("get")) triggers[name] = version;
        props.updateTriggers = Object.assign(triggers, layer.props.updateTriggers || {});
      }
      return thin(layer.clone(props));
    }).flat();
    for (const id of Array.from(kept.keys())) if (!seen.has(id)) kept.delete(id);
    return layers;
  }

  // When each render arrived and when deck.gl next drew (wall-clock ms): the page script
  // (ui/screen.py) keeps a new page at its top until every map has drawn.
  window.aamMapLog = [];
  let drawnFor = 0;

  // The server frames the map for the window it last heard of (on a first visit, a laptop's). With
  // `fill`, the frame's height comes from the page's CSS (a share of the window), and with `fit` the
  // zoom is worked out again for the size the map really has, the same way as the server's
  // fit_view (ui/layers.py), but only ever zoomed in: names were placed for the server's zoom, and
  // zooming in only moves them apart.
  function fitted(view, fit) {
    if (!fit || !view || !Array.isArray(fit.bounds)) return view;
    const w = box.clientWidth, h = box.clientHeight;
    if (!(w > 0 && h > 0)) return view;
    const merc = (lat) => Math.log(Math.tan(Math.PI / 4 + Math.max(Math.min(lat, 85), -85) * Math.PI / 360));
    const [minx, miny, maxx, maxy] = fit.bounds.map(Number);
    const scale = 1 + 2 * (Number(fit.padding) || 0);
    const spanX = Math.max(maxx - minx, 1e-6) / 360, spanY = Math.max(merc(maxy) - merc(miny), 1e-6) / (2 * Math.PI);
    const zoom = Math.min(Math.log2(w / 512 / (spanX * scale)), Math.log2(h / 512 / (spanY * scale)),
                          Number(fit.maxZoom) || 13);
    return zoom > view.zoom ? Object.assign({}, view, {zoom: Math.round(zoom * 100) / 100}) : view;
  }

  async function render(args) {
    version += 1;
    const mine = version;
    window.aamMapLog.push(["render", Date.now(), version]);
    const height = Number(args.height) || 500;
    box.style.height = args.fill ? "100vh" : height + "px";
    send("streamlit:setFrameHeight", {height: height});
    box.setAttribute("aria-label", args.alt || "Map");
    const spec = JSON.parse(args.spec);
    const keys = (spec.layers || []).map((l) => l.data && l.data.geometryKey).filter(Boolean);
    const loaded = {};
    await Promise.all(keys.map(async (k) => { loaded[k] = await geometries(k); }));
    if (mine !== version) return;  // a newer render arrived while the geometry loaded
    tooltip = args.tooltip ? JSON.parse(args.tooltip) : null;
    selectable = Boolean(args.selectable);
    const layers = layersOf(spec, loaded);
    const view = JSON.stringify(spec.initialViewState || {});
    const props = {layers: layers};
    const initial = fitted(spec.initialViewState, args.fit);
    if (!map) {
      const views = converter.convert({views: spec.views || []}).views;
      box.innerHTML = "";
      map = new window.deck.Deck(Object.assign(props, {
        parent: box, width: "100%", height: "100%", views: views && views.length ? views : undefined,
        initialViewState: initial, controller: true, onHover: onHover, onClick: onClick,
        getCursor: ({isDragging, isHovering}) => (isDragging ? "grabbing" : isHovering && selectable ? "pointer" : "grab"),
        onAfterRender: () => {
          if (drawnFor !== version) { drawnFor = version; window.aamMapLog.push(["drawn", Date.now(), version]); }
        },
      }));
    } else {
      if (view !== viewJson) props.initialViewState = initial;
      map.setProps(props);
    }
    viewJson = view;
  }

  window.addEventListener("message", (event) => {
    const message = event.data;
    if (event.source !== window.parent || !message || message.type !== "streamlit:render") return;
    render(message.args || {}).catch((error) => {
      console.error(error);
      if (map) map.finalize();
      map = null;
      kept.clear();
      box.innerHTML = "<p id='fail'>The map could not be drawn.</p>";
    });
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
