"""The analysis report of ``thermowatch train``: figure, recommendations, Markdown and HTML.

Public API (import from the submodules; this package imports nothing eagerly so that the
CLI starts fast)::

    thermowatch.report.render.write_report(result, out_dir) -> dict[str, Path]
        # report.md, report.html (self-contained), metrics.json and the PNG
    thermowatch.report.figures.plot_predictions(result, path) -> Path
        # prediction_temperature_transformateur.png
    thermowatch.report.recommendations.recommendations(result) -> list[Recommendation]
    thermowatch.report.i18n.t(key, lang="fr", **values) -> str
"""
