"""Discovery through the entry-point group, on fake distributions installed on sys.path."""

import sys
import warnings

import pytest

import fla_encoders
from fla_encoders import EncoderLoadError, EncoderPluginWarning
from tests.fla_encoders.encoders import LastStep, MeanPool, target

LAST = target("LastStep")
MEAN = target("MeanPool")

PLUGIN = """
from tests.fla_encoders.encoders import LastStep

class PluginEncoder(LastStep):
    pass
"""


def test_an_entry_point_is_listed_and_created(site, registry):
    site.add_dist("plugin-a", {"last": LAST})
    assert registry.list_available() == ["last"]
    assert isinstance(registry.create("last", hidden_size=3), LastStep)
    assert [(p.distribution, p.target) for p in registry.providers("last")] == [("plugin-a", LAST)]


def test_listing_imports_no_plugin_and_create_imports_it(site, registry):
    module = site.add_module(PLUGIN)
    site.add_dist("plugin-a", {"lazy": f"{module}:PluginEncoder"})
    assert registry.list_available() == ["lazy"]
    assert registry.providers("lazy")[0].distribution == "plugin-a"
    assert module not in sys.modules
    encoder = registry.create("lazy")
    assert module in sys.modules and type(encoder).__module__ == module


def test_a_plugin_that_fails_to_import_warns_and_raises_but_spares_the_others(site, registry):
    module = site.add_module("raise RuntimeError('boom at import')\n")
    site.add_dist("broken-dist", {"broken": f"{module}:Encoder"})
    site.add_dist("good-dist", {"good": LAST})
    assert registry.list_available() == ["broken", "good"]
    cause = "'broken-dist'.*RuntimeError: boom at import"
    with pytest.warns(EncoderPluginWarning, match=cause):
        with pytest.raises(EncoderLoadError, match=cause) as info:
            registry.create("broken")
    assert isinstance(info.value.__cause__, RuntimeError)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning; the error is raised again
        with pytest.raises(EncoderLoadError, match="boom at import"):
            registry.get("broken")
        assert isinstance(registry.create("good"), LastStep)


def test_an_entry_point_that_is_not_an_encoder_class_warns_and_raises(site, registry):
    site.add_dist("odd-dist", {"module": target("NotAnEncoder"), "missing": target("Missing")})
    cause = "'odd-dist'.*not a subclass of FLAEncoderStrategy"
    with pytest.warns(EncoderPluginWarning, match=cause):
        with pytest.raises(EncoderLoadError) as info:
            registry.get("module")
    assert isinstance(info.value.__cause__, TypeError)
    with pytest.warns(EncoderPluginWarning, match="'odd-dist'.*AttributeError"):
        with pytest.raises(EncoderLoadError):
            registry.get("missing")


def test_a_plugin_colliding_with_a_built_in_loses_with_a_warning_naming_both(site, registry):
    site.add_dist("aaa-plugin", {"enc": MEAN})
    site.add_dist("fla-encoders", {"enc": LAST})
    with pytest.warns(EncoderPluginWarning, match="'enc'.*'fla-encoders'.*'aaa-plugin'.*using"):
        assert registry.get("enc") is LastStep


INSTALL_ORDERS = [("zeta-plugin", "alpha_plugin"), ("alpha_plugin", "zeta-plugin")]


@pytest.mark.parametrize("order", INSTALL_ORDERS)
def test_plugins_colliding_resolve_alphabetically_whatever_the_install_order(site, registry, order):
    targets = {"zeta-plugin": LAST, "alpha_plugin": MEAN}
    for dist in order:
        site.add_dist(dist, {"enc": targets[dist]})
    with pytest.warns(EncoderPluginWarning, match="'alpha_plugin'.*'zeta-plugin'"):
        assert registry.get("enc") is MeanPool
    assert [p.distribution for p in registry.providers("enc")] == ["alpha_plugin", "zeta-plugin"]


def test_a_collision_is_reported_once(site, registry):
    site.add_dist("plugin-a", {"enc": LAST})
    site.add_dist("plugin-b", {"enc": MEAN})
    with pytest.warns(EncoderPluginWarning):
        registry.get("enc")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.create("enc")


def test_prefer_overrides_the_rule_without_a_warning(site, registry):
    site.add_dist("fla-encoders", {"enc": LAST})
    site.add_dist("Plugin.B", {"enc": MEAN})
    registry.prefer("enc", "plugin-b")  # distribution names compare normalized
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.get("enc") is MeanPool
    assert [p.distribution for p in registry.providers("enc")] == ["Plugin.B", "fla-encoders"]


def test_prefer_a_distribution_that_does_not_provide_the_name(site, registry):
    site.add_dist("plugin-a", {"enc": LAST})
    with pytest.raises(ValueError, match=r"prefer\('enc', distribution='plugin-z'\).*'plugin-a'"):
        registry.prefer("enc", "plugin-z")


def test_refresh_sees_a_plugin_installed_after_the_first_listing(site, registry):
    site.add_dist("plugin-a", {"first": LAST})
    assert registry.list_available() == ["first"]
    site.add_dist("plugin-b", {"second": MEAN})
    assert registry.list_available() == ["first"]
    registry.refresh()
    assert registry.list_available() == ["first", "second"]


def test_refresh_retries_a_plugin_that_failed(site, registry):
    site.add_dist("plugin-a", {"late": "fake_late_module:Encoder"})
    with pytest.warns(EncoderPluginWarning, match="ModuleNotFoundError"):
        with pytest.raises(EncoderLoadError):
            registry.get("late")
    (site.folder / "fake_late_module.py").write_text(PLUGIN.replace("PluginEncoder", "Encoder"))
    registry.refresh()
    assert registry.get("late").__name__ == "Encoder"


def test_entry_points_of_other_groups_are_ignored(site, registry):
    site.add_dist("plugin-a", {"other": LAST}, group="some.other.group")
    assert registry.list_available() == []


def test_in_code_register_refuses_a_name_an_entry_point_provides(site, registry):
    site.add_dist("plugin-a", {"enc": LAST})
    with pytest.raises(ValueError, match=r"already provided by distribution 'plugin-a'"):
        registry.register("enc")(MeanPool)


def test_in_code_override_comes_before_entry_points_without_a_warning(site, registry):
    site.add_dist("plugin-a", {"enc": LAST})
    site.add_dist("plugin-b", {"enc": target("NoOutputDim")})
    registry.register("enc", override=True)(MeanPool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.get("enc") is MeanPool


def test_a_plugin_module_that_also_uses_the_decorator_is_not_a_collision(
    site, registry, monkeypatch
):
    monkeypatch.setattr(fla_encoders, "FLAEncoderFactory", registry)  # what the plugin imports
    module = site.add_module(
        "from fla_encoders import FLAEncoderFactory\n"
        "from tests.fla_encoders.encoders import LastStep\n\n"
        "@FLAEncoderFactory.register('seed_style')\n"
        "class Decorated(LastStep):\n"
        "    pass\n"
    )
    site.add_dist("plugin-a", {"seed_style": f"{module}:Decorated"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert registry.get("seed_style").__name__ == "Decorated"
        assert isinstance(registry.create("seed_style"), LastStep)
