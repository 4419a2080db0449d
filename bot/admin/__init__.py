"""Admin commands shared by the console and Telegram: parsing, validation and the changes they make."""
from bot.admin.commands import ADMIN_COMMANDS, Admin, AdminError

__all__ = ["ADMIN_COMMANDS", "Admin", "AdminError"]
