"""The dashboard in headless Chromium, as a user meets it."""

import time

import pytest
from studies import XSS_NAME

import tunelab

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def open_page(browser, url, *, timeout=30.0):
    browser.get("about:blank")  # a fresh page, even when only the #fragment would differ
    browser.get(url)
    wait(browser, "return document.body.dataset.ready", timeout=timeout)


def wait(browser, script, *, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = browser.execute_script(script)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def severe_logs(browser):
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_study_list_renders(browser, server):
    open_page(browser, server + "/#/")
    names = browser.execute_script(
        "return [...document.querySelectorAll('#studies .study-name')].map(a => a.textContent)")
    assert names[0] == "demo"
    counts = browser.execute_script("return document.querySelector('#studies tbody tr .n-trials').textContent")
    assert int(counts) >= 20
    assert severe_logs(browser) == []  # no CSP violation, no failed request


def test_xss_in_a_study_name_is_shown_as_text(browser, server):
    open_page(browser, server + "/#/")
    names = browser.execute_script(
        "return [...document.querySelectorAll('#studies .study-name')].map(a => a.textContent)")
    assert XSS_NAME in names
    assert browser.execute_script("return document.querySelectorAll('main img').length") == 0
    open_page(browser, server + "/#/study/2")
    assert browser.execute_script("return document.getElementById('study-name').textContent") == XSS_NAME
    time.sleep(0.5)
    assert browser.execute_script("return document.body.dataset.pwned") is None
    assert browser.execute_script("return document.querySelectorAll('main img').length") == 0


def drawn(browser, plot):
    return browser.execute_script(f"return document.querySelectorAll('#{plot} .main-svg .scatterlayer .trace, "
                                  f"#{plot} .main-svg .barlayer .trace, #{plot} .main-svg .boxlayer .trace').length")


def test_study_page_draws_every_plot(browser, server):
    open_page(browser, server + "/#/study/1")
    assert browser.execute_script("return document.body.dataset.ready") == "1"
    for plot in ("history", "parallel", "importance", "intermediate", "timeline", "lr", "families-0"):
        assert drawn(browser, plot) > 0, plot
    points = browser.execute_script("return document.querySelectorAll('#history .scatterlayer .trace:first-child .point').length")
    assert points >= 15
    assert "15 completed trials" in browser.execute_script("return document.getElementById('history-note').textContent")
    assert "of 15 trials" in browser.execute_script("return document.getElementById('importance').textContent")
    assert severe_logs(browser) == []


def test_parallel_axes_are_the_shared_parameters_and_can_be_chosen(browser, server):
    open_page(browser, server + "/#/study/1")
    axes = "return [...document.querySelectorAll('#parallel .xtick text')].map(t => t.textContent)"
    before = browser.execute_script(axes)
    assert "activation" in before and "lr.cosine.alpha" not in before  # set in fewer than half of the trials
    browser.execute_script("document.getElementById('param-picker').open = true;"
                           "const box = document.querySelector('#param-choices input[value=\"lr.cosine.alpha\"]');"
                           "box.checked = true; box.dispatchEvent(new Event('change'))")
    after = wait(browser, f"const a = ({axes.removeprefix('return ')}); return a.includes('lr.cosine.alpha') && a")
    assert len(after) == len(before) + 1
    assert "unset" in browser.execute_script("return document.getElementById('parallel').textContent")


def test_a_multi_objective_study_shows_its_pareto_front_and_trade_offs(browser, server):
    open_page(browser, server + "/#/study/3")
    assert drawn(browser, "pareto") == 3  # dominated, front, infeasible
    assert drawn(browser, "history") > 0 and drawn(browser, "history-1") > 0
    header = browser.execute_script("return [...document.querySelectorAll('#tradeoff-table th')].map(t => t.textContent)")
    assert header[:3] == ["trial", "size", "error"]
    rows = browser.execute_script("return document.querySelectorAll('#tradeoff-table tbody tr').length")
    assert rows > 0 and "infeasible" in browser.execute_script("return document.getElementById('pareto-note').textContent")
    assert browser.execute_script("return document.querySelectorAll('#trial-rows td.infeasible').length") > 0
    assert severe_logs(browser) == []


def test_top_percent_filter_redraws_parallel_coordinates(browser, server):
    open_page(browser, server + "/#/study/1")
    before = browser.execute_script("return document.getElementById('parallel-note').textContent")
    browser.execute_script("const i = document.getElementById('top'); i.value = '10'; i.dispatchEvent(new Event('change'))")
    after = wait(browser, "const t = document.getElementById('parallel-note').textContent; return t.startsWith('top 2 ') && t")
    assert before != after and after.startswith("top 2 of")


def test_state_filter_narrows_the_table(browser, server):
    open_page(browser, server + "/#/study/1")
    browser.execute_script(
        "const s = document.getElementById('state-filter'); s.value = 'PRUNED'; s.dispatchEvent(new Event('change'))")
    states = wait(browser, "const s = [...document.querySelectorAll('#trial-rows tr td:nth-child(3)')]"
                           ".map(td => td.textContent); return s.length && s.every(x => x === 'pruned') && s")
    assert len(states) >= 4
    href = browser.execute_script("return document.getElementById('csv').getAttribute('href')")
    assert "state=PRUNED" in href


def test_new_trial_appears_live(browser, server, demo_url):
    open_page(browser, server + "/#/study/1")
    study = tunelab.load_study(study_name="demo", storage=demo_url)
    number = len(study.trials)
    trial = study.ask()
    trial.suggest_int("width", 16, 256, log=True)
    study.tell(trial, 0.0005)
    row = wait(browser, f"return document.querySelector('#trial-rows tr[data-number=\"{number}\"]')", timeout=15)
    assert row is not None
    counts = browser.execute_script("return document.getElementById('counts').textContent")
    assert f"{number + 1} trials" in counts and f"#{number}" in counts  # the new best


def test_trial_page_shows_schedule_and_log(browser, server):
    open_page(browser, server + "/#/study/1/trial/0")
    assert "ExponentialDecay" in browser.execute_script("return document.getElementById('schedule-note').textContent") \
        or "Cosine" in browser.execute_script("return document.getElementById('schedule-note').textContent")
    assert browser.execute_script("return document.querySelectorAll('#schedule .scatterlayer .trace').length") == 2
    assert "applied rates (lr_trace)" in browser.execute_script("return document.getElementById('schedule-note').textContent")
    open_page(browser, server + "/#/study/1/trial/7")
    assert "diverged" in browser.execute_script("return document.getElementById('log').textContent")
