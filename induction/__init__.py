"""The induction platform: the app factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from induction.config import ROOT, Config


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, with `test_config` on top."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(Config.from_env().as_flask())
    if test_config:
        app.config.from_mapping(test_config)
    (ROOT / "instance").mkdir(exist_ok=True)

    from induction import content, database, logs, models, web  # noqa: F401 - models: every table, for Alembic
    from induction.extensions import check_limits_on_writes_only, csrf, db, limiter, login_manager, migrate
    from induction.plans import settling

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    check_limits_on_writes_only(app)  # every limit is on a POST: reads skip the limiter's per-request check
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from flask_login import user_loaded_from_cookie

    from induction.accounts.sessions import load_user, restored_from_cookie

    login_manager.user_loader(load_user)  # the cookies carry a sign-in's id, which the server can end
    user_loaded_from_cookie.connect(restored_from_cookie, app)

    content.init_app(app)
    logs.init_app(app)
    web.init_app(app)
    settling.init_app(app)  # progress settles when the statement store announces statements
    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    if app.config["ENV"] == "production":
        _refuse_demo_accounts(app)
    _register_blueprints(app)
    _register_commands(app)
    _register_template_helpers(app)
    return app


class DemoAccountsInProduction(RuntimeError):
    """Production must not run with the published demo sign-ins in its database."""


def _refuse_demo_accounts(app: Flask) -> None:
    from sqlalchemy import func, inspect, select

    from induction.accounts.models import User
    from induction.extensions import db

    with app.app_context():
        try:
            if "users" not in inspect(db.engine).get_table_names():
                return  # a new database: `flask db upgrade` comes first
            demo = db.session.scalar(select(func.count()).select_from(User).where(User.demo.is_(True)))
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection is held from start-up (gunicorn forks after this)
    if demo:
        raise DemoAccountsInProduction(
            f"The database has {demo} demo accounts; production refuses to start. "
            "Use a new database, or delete the users with demo = true."
        )


def _register_blueprints(app: Flask) -> None:
    from induction.accounts.oidc_views import bp as oidc
    from induction.accounts.views import bp as accounts
    from induction.admin.views import bp as admin
    from induction.extensions import csrf
    from induction.partnership.views import bp as partnership
    from induction.privacy.views import bp as privacy
    from induction.refreshers.views import bp as refreshers
    from induction.reporting.routes import bp as reporting
    from induction.trainers.views import bp as trainer
    from induction.training.views import bp as training
    from induction.web.certificates import bp as completion
    from induction.web.learner import bp as learning
    from induction.xapi.admin import bp as xapi_admin
    from induction.xapi.routes import bp as xapi

    for blueprint in (
        accounts,
        oidc,
        learning,
        completion,
        reporting,
        refreshers,
        trainer,
        training,
        partnership,
        admin,
        privacy,
        xapi,
        xapi_admin,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(xapi)  # xAPI clients use HTTP Basic auth, never the session cookie


def _register_commands(app: Flask) -> None:
    from induction.commands import create_admin, demo, progress_group
    from induction.partnership.cli import partnership_group
    from induction.privacy.cli import retention_group
    from induction.reminders.cli import reminders
    from induction.xapi.cli import xapi_group

    app.cli.add_command(demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(progress_group)
    app.cli.add_command(reminders)
    app.cli.add_command(partnership_group)
    app.cli.add_command(retention_group)
    app.cli.add_command(xapi_group)


def _register_template_helpers(app: Flask) -> None:
    from induction.accounts.models import Role
    from induction.rules import Status

    @app.template_filter("date")
    def _date(value: Any) -> str:
        return value.strftime("%-d %B %Y") if value else ""

    @app.template_filter("dict_without_none")
    def _without_none(value: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in value.items() if v is not None}

    from induction.web import navigation, urls

    urls.init_app(app)
    navigation.init_app(app)
    app.jinja_env.globals.update(Role=Role, Status=Status)  # once, rather than a context processor per page
