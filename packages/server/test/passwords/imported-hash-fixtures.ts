/**
 * Password hashes as other systems export them, all of the password `correct horse battery` unless
 * said otherwise. The PBKDF2 and scrypt ones were made with Python's hashlib (not node:crypto) in each
 * framework's encoding; the two bcrypt vectors are published ones (PHP's manual, OpenBSD's tests).
 */
export const IMPORTED_PASSWORD = 'correct horse battery';

export const HASHES = {
  bcrypt2b: '$2b$10$y6MIXYPwzO3V37WXJ3EJvuMgwBwsq1JLzn//.XwM9lp3qDyYRZEhW',
  /** PHP's `password_hash` example; its password is `rasmuslerdorf`. */
  bcrypt2yPhp: '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a',
  /** OpenBSD's test vector; its password is `U*U`. */
  bcrypt2aOpenBsd: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
  argon2i: '$argon2i$v=19$m=4096,t=3,p=1$8Cd7AII+WITgAMRrp5TSBA$A4IZjLvrWpgPU9mxszbjqX744eYYmgmPewMO5ALaFX8',
  djangoPbkdf2: 'pbkdf2_sha256$600000$seasalt1234567890abc$RdJBPZDDuPNgRFHSsaovG3GBw86/hCE7EKZYs7g9qVI=',
  djangoScrypt:
    'scrypt$16384$xyzSALTforScrypt22$8$1$QeDGgeqVUpIcBvgDjTZxrynwcXB2b+BIFyaRnS0KrMXbagjvV2H1nC+jucAQ/JYb6xMb8JQfCcPY/tYpiHIQfw==',
  werkzeugPbkdf2: 'pbkdf2:sha256:600000$Wk8salt0123456789$a0862aa2ddad95662740dca44b8060e4866dade0a00b2bf2d202655d2cb81886',
  werkzeugScrypt:
    'scrypt:32768:8:1$Wk8salt0123456789$09a2cf68216fcdddd960e3848c7b9c29857fd378077012233273976f75023fab111e8e06c16183d0d425c3a17c19e996e36eb82823e78e2b70c10d8bc5da0866',
  passlibPbkdf2: '$pbkdf2-sha256$29000$AAECAwQFBgcICQoLDA0ODw$QKlCDPGRoLK139911fz4wmw.qxtasIBS/3PnV5Q49G0',
  passlibPbkdf2Sha512:
    '$pbkdf2-sha512$25000$AAECAwQFBgcICQoLDA0ODw$Eg0Mk93hSCKTNDTT755F1rAKbWsV8PFg6FJZ47XUM739UmWNhvhwHSOdWT.vjaDlC7U.rRRTf21fAAcW5XeH3Q',
  passlibScrypt: '$scrypt$ln=14,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$6W7GuoxjojaYIg83x/wEKSXUMMf+reyc6wSvA8q7ny8',
  phcPbkdf2:
    '$pbkdf2-sha512$i=210000,l=64$AAECAwQFBgcICQoLDA0ODw$i8MEbJEntlaFgLOnIsIXgO0aPF4DYs7H6fl1KcMdXffNZCnnR8pN4bE1CdLP+hq1XxAKYsiteZvUHLB6Fjk0Kw',
} as const;
