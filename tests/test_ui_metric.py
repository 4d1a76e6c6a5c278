"""Metric cards: a fall points down, whatever minus sign geo.text writes (found in a screenshot:
'↑ −3,064' for 107,003 people at 31 December 2025, a fall shown with a rising arrow)."""
from geo import text
from ui.metrics import delta_style


def test_a_fall_points_down_and_a_rise_up():
    assert delta_style(-3064, text.signed(-3064)) == ("down", "off")
    assert delta_style(58, text.signed(58)) == ("up", "off")


def test_inverse_colours_follow_the_number_not_the_text():
    assert delta_style(-5, text.signed(-5), inverse=True) == ("down", "green")
    assert delta_style(5, text.signed(5), inverse=True) == ("up", "red")


def test_no_change_and_no_figure_have_no_arrow():
    assert delta_style(0, text.signed(0)) == ("off", "off")
    assert delta_style(None, None) == ("off", "off")
