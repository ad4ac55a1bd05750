"""The supervision package."""
