"""Print fresh secrets as environment lines: python -m server.keygen > instance/secrets.env"""

import secrets

if __name__ == "__main__":
    print(f"ZHICHA_SECRET_KEY={secrets.token_urlsafe(48)}")
    print(f"ZHICHA_JWT_SECRET_KEY={secrets.token_urlsafe(48)}")
