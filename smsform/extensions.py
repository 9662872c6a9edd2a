"""Extension objects, created unbound and wired to the app in create_app."""

from typing import TYPE_CHECKING, ClassVar

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for every model."""

    if TYPE_CHECKING:
        # Every model is mapped to one table (none to a join or a select), which the
        # services write with Core statements.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # Flask-SQLAlchemy makes db.Model at run time (Base's body on its own mixins); to a type
    # checker it is a variable, which cannot be a base class, so models subclass Model.
    Model = Base
else:
    Model = db.Model
csrf = CSRFProtect()
login_manager = LoginManager()
# Korean by default, English on request; wired (locale selector, catalogs) in smsform.i18n.
babel = Babel()
