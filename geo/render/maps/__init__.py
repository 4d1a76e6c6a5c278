"""Static maps, split by job: ``checks`` (arguments), ``content`` (what to draw), ``draw`` (areas
and labels onto axes), ``furniture`` (legend, scale bar, north arrow, title, sources) and
``figure`` (the page laid out and saved). ``geo.render.static_map.snapshot`` is the entry point.
"""
